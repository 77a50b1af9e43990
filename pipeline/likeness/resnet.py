"""dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`) run with numpy.

WHY not dlib's own `face_recognition_model_v1`: the `dlib-bin` wheel is built without BLAS, so its forward pass
takes ~85 ms per face on one core; the same network as im2col + numpy's BLAS matrix products takes ~20 ms and
gives the same 128 numbers to ~1e-6 (tests/test_likeness.py compares the two on real faces). The weights are
read from the installed `face_recognition_models` package; nothing is downloaded.

The file is dlib's serialisation of `anet_type` (dlib's dnn_face_recognition_ex.cpp): layers from the input up,
each one its name string, its parameters (tensors are raw little-endian float32) and settings. We read the
layer sequence, check it is exactly the ResNet we know (a stem, residual blocks, global average, 128-d fc) and
refuse any other file rather than guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pipeline.errors import PipelineError

CHIP_SIZE = 150
_NAMES = (b"input_rgb_image_sized", b"con_4", b"affine_", b"relu_", b"max_pool_2", b"avg_pool_2",
          b"add_prev_", b"fc_2")
# every layer begins with its name serialised as a dlib string: 0x01, length byte, the name
_LAYER = re.compile(b"|".join(re.escape(bytes([1, len(n)]) + n) for n in _NAMES))


class ModelFileError(PipelineError):
    """The recognition model file is missing, damaged, or not the network this code runs."""


class _Reader:
    """dlib's serialisation primitives: compact signed ints, (mantissa, exponent) floats, float32 tensors."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def int(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.pos + 1:self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if head & 0x80 else value

    def float(self) -> float:
        mantissa = self.int()
        return float(np.ldexp(float(mantissa), self.int()))

    def tensor(self) -> tuple[np.ndarray, tuple[int, ...]]:
        if self.int() != 2:
            raise ModelFileError("unknown tensor version in the face model file")
        dims = tuple(self.int() for _ in range(4))
        count = int(np.prod(dims))
        if self.pos + 4 * count > len(self.data):
            raise ModelFileError("face model file is truncated")
        values = np.frombuffer(self.data, "<f4", count, self.pos).astype(np.float32)
        self.pos += 4 * count
        return values, dims


@dataclass(frozen=True)
class _Conv:
    weight: np.ndarray      # (filters, channels * kh * kw), the following affine (batch norm) folded in
    bias: np.ndarray        # (filters, 1)
    kernel: int
    stride: int
    padding: int


@dataclass(frozen=True)
class _Block:
    """conv-affine-relu-conv-affine, plus the input (2x2-average-pooled when the block downsamples), relu."""
    first: _Conv
    second: _Conv
    downsample: bool


@dataclass(frozen=True)
class Network:
    mean_rgb: np.ndarray    # (3, 1, 1) subtracted before dividing by 256, as dlib's input layer does
    stem: _Conv             # 7x7/2 conv (+affine) then relu and 3x3/2 max pooling
    blocks: tuple[_Block, ...]
    fc: np.ndarray          # (256, 128)


def _layers(data: bytes) -> list[tuple[str, dict]]:
    """(name, fields) for every layer, input first; skips over tensor bytes so float data is never scanned."""
    out: list[tuple[str, dict]] = []
    pos = 0
    while (m := _LAYER.search(data, pos)) is not None:
        name = m.group(0)[2:].decode()
        r = _Reader(data, m.end())
        fields: dict = {}
        if name == "input_rgb_image_sized":
            fields["mean"] = (r.float(), r.float(), r.float())
            fields["size"] = (r.int(), r.int())
        elif name == "con_4":
            fields["params"], _ = r.tensor()
            (fields["filters"], fields["nr"], fields["nc"], fields["stride_y"], fields["stride_x"],
             fields["pad_y"], fields["pad_x"]) = (r.int() for _ in range(7))
        elif name == "affine_":
            fields["params"], _ = r.tensor()
        elif name in ("max_pool_2", "avg_pool_2"):
            fields["nr"], fields["nc"], fields["stride_y"], fields["stride_x"], fields["pad_y"], fields["pad_x"] = (
                r.int() for _ in range(6))
        elif name == "fc_2":
            outputs, inputs = r.int(), r.int()
            params, dims = r.tensor()
            if dims[:2] != (inputs, outputs):
                raise ModelFileError("unexpected fc layer shape in the face model file")
            fields["weight"] = params.reshape(inputs, outputs)
        out.append((name, fields))
        pos = r.pos
    return out


def _conv(con: dict, affine: dict, channels: int) -> _Conv:
    f, kh, kw = con["filters"], con["nr"], con["nc"]
    params = con["params"]
    if kh != kw or con["stride_y"] != con["stride_x"] or con["pad_y"] != con["pad_x"] \
            or params.size != f * channels * kh * kw + f or affine["params"].size != 2 * f:
        raise ModelFileError("unexpected convolution layer in the face model file")
    gamma, beta = affine["params"][:f], affine["params"][f:]
    weight = params[:f * channels * kh * kw].reshape(f, channels * kh * kw) * gamma[:, None]
    bias = params[f * channels * kh * kw:] * gamma + beta
    return _Conv(np.ascontiguousarray(weight, np.float32), bias.astype(np.float32)[:, None],
                 kh, con["stride_y"], con["pad_y"])


def parse(data: bytes) -> Network:
    """The network in a dlib ResNet model file; ModelFileError when the layers are not the expected ones."""
    layers = _layers(data)
    names = [n for n, _ in layers]
    expect_stem = ["input_rgb_image_sized", "con_4", "affine_", "relu_", "max_pool_2"]
    if names[:5] != expect_stem or names[-2:] != ["avg_pool_2", "fc_2"]:
        raise ModelFileError(f"face model file has an unexpected layout ({len(names)} layers)")
    inp = layers[0][1]
    if inp["size"] != (CHIP_SIZE, CHIP_SIZE):
        raise ModelFileError(f"face model expects {inp['size']} chips, not {CHIP_SIZE}")
    stem = _conv(layers[1][1], layers[2][1], 3)
    pool = layers[4][1]
    if (pool["nr"], pool["stride_y"], pool["pad_y"]) != (3, 2, 0):
        raise ModelFileError("unexpected stem pooling in the face model file")
    channels = stem.weight.shape[0]
    blocks: list[_Block] = []
    i = 5
    plain = ["con_4", "affine_", "relu_", "con_4", "affine_", "add_prev_", "relu_"]
    down = ["con_4", "affine_", "relu_", "con_4", "affine_", "avg_pool_2", "add_prev_", "relu_"]
    while names[i] == "con_4":
        downsample = names[i:i + 8] == down
        if not downsample and names[i:i + 7] != plain:
            raise ModelFileError(f"face model file has an unexpected block at layer {i}")
        first = _conv(layers[i][1], layers[i + 1][1], channels)
        second = _conv(layers[i + 3][1], layers[i + 4][1], first.weight.shape[0])
        if downsample:
            p = layers[i + 5][1]
            if (p["nr"], p["stride_y"], p["pad_y"]) != (2, 2, 0):
                raise ModelFileError("unexpected shortcut pooling in the face model file")
        blocks.append(_Block(first, second, downsample))
        channels = second.weight.shape[0]
        i += 8 if downsample else 7
    if i != len(layers) - 2 or layers[i][1]["nr"] != 0:      # avg_pool of size 0: average over everything
        raise ModelFileError("face model file does not end in a global average and fc layer")
    fc = layers[-1][1]["weight"]
    if fc.shape[0] != channels:
        raise ModelFileError("face model fc layer does not match the last block")
    mean = np.asarray(inp["mean"], np.float32)[:, None, None]
    return Network(mean, stem, tuple(blocks), np.ascontiguousarray(fc, np.float32))


def _apply(x: np.ndarray, conv: _Conv) -> np.ndarray:
    """Cross-correlation (as dlib) by im2col and one matrix product; x is (channels, rows, cols)."""
    if conv.padding:
        p = conv.padding
        x = np.pad(x, ((0, 0), (p, p), (p, p)))
    k, s = conv.kernel, conv.stride
    win = sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s]
    rows, cols = win.shape[1:3]
    patches = np.ascontiguousarray(win.transpose(0, 3, 4, 1, 2)).reshape(x.shape[0] * k * k, rows * cols)
    return (conv.weight @ patches + conv.bias).reshape(-1, rows, cols)


def _pool(x: np.ndarray, size: int, reduce) -> np.ndarray:  # type: ignore[no-untyped-def]
    return reduce(sliding_window_view(x, (size, size), axis=(1, 2))[:, ::2, ::2], axis=(3, 4))


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add_prev: the sum, each tensor zero-padded at its end to the larger size in every dimension."""
    out = np.zeros(tuple(max(p, q) for p, q in zip(a.shape, b.shape)), np.float32)
    out[:a.shape[0], :a.shape[1], :a.shape[2]] += a
    out[:b.shape[0], :b.shape[1], :b.shape[2]] += b
    return out


def forward(net: Network, chip: np.ndarray) -> np.ndarray:
    """The 128-d descriptor of one aligned 150x150 RGB uint8 chip (as dlib.get_face_chip makes it)."""
    if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3):
        raise ValueError(f"chip must be {CHIP_SIZE}x{CHIP_SIZE}x3, got {chip.shape}")
    x = (chip.astype(np.float32).transpose(2, 0, 1) - net.mean_rgb) / np.float32(256.0)
    x = _pool(np.maximum(_apply(x, net.stem), 0), 3, np.max)
    for block in net.blocks:
        y = np.maximum(_apply(x, block.first), 0)
        y = _apply(y, block.second)
        shortcut = _pool(x, 2, np.mean) if block.downsample else x
        x = np.maximum(_add(y, shortcut), 0)
    return (x.mean(axis=(1, 2)) @ net.fc).astype(np.float32)
