#!/usr/bin/env python3
"""gpt2_oracle: a float64 torch GPT-2 for tests/check_gpt2.c (dev-time only; the test skips when
torch is missing). Usage: gpt2_oracle.py IN OUT. IN: int32 {L, C, NH, V, maxT, B, T}, int32 tokens
and targets (B*T each, target -1 = ignored), then float32 parameters in models/gpt2.h order with
their stored shapes. OUT: float64 mean loss, then float64 gradients in the same order."""
import math
import struct
import sys

import torch
import torch.nn.functional as F


def main(inp, out):
    data = open(inp, "rb").read()
    L, C, NH, V, maxT, B, T = struct.unpack_from("7i", data, 0)
    off = 28

    def take(n, dtype, width):
        nonlocal off
        t = torch.frombuffer(bytearray(data[off:off + n * width]), dtype=dtype)
        off += n * width
        return t

    tok = take(B * T, torch.int32, 4).long().view(B, T)
    tgt = take(B * T, torch.int32, 4).long().view(B, T)
    shapes = [("wte", (V, C)), ("wpe", (maxT, C)), ("ln1w", (L, C)), ("ln1b", (L, C)),
              ("qkvw", (L, 3 * C, C)), ("qkvb", (L, 3 * C)), ("attprojw", (L, C, C)),
              ("attprojb", (L, C)), ("ln2w", (L, C)), ("ln2b", (L, C)), ("fcw", (L, 4 * C, C)),
              ("fcb", (L, 4 * C)), ("fcprojw", (L, C, 4 * C)), ("fcprojb", (L, C)),
              ("lnfw", (C,)), ("lnfb", (C,))]
    P = {}
    for name, shape in shapes:
        t = take(math.prod(shape), torch.float32, 4).double().view(shape)
        P[name] = t.clone().requires_grad_(True)
    assert off == len(data), "trailing bytes in the oracle input"

    hs = C // NH
    x = P["wte"][tok] + P["wpe"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(L):
        h = F.layer_norm(x, (C,), P["ln1w"][l], P["ln1b"][l], eps=1e-5)
        qkv = h @ P["qkvw"][l].T + P["qkvb"][l]
        q, k, v = (z.view(B, T, NH, hs).transpose(1, 2) for z in qkv.split(C, dim=2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ P["attprojw"][l].T + P["attprojb"][l]
        h = F.layer_norm(x, (C,), P["ln2w"][l], P["ln2b"][l], eps=1e-5)
        h = F.gelu(h @ P["fcw"][l].T + P["fcb"][l], approximate="tanh")
        x = x + h @ P["fcprojw"][l].T + P["fcprojb"][l]
    x = F.layer_norm(x, (C,), P["lnfw"], P["lnfb"], eps=1e-5)
    logits = x @ P["wte"].T
    loss = F.cross_entropy(logits.view(-1, V), tgt.view(-1), ignore_index=-1)
    loss.backward()
    with open(out, "wb") as f:
        f.write(struct.pack("d", loss.item()))
        for name, _ in shapes:
            f.write(P[name].grad.contiguous().numpy().astype("float64").tobytes())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
