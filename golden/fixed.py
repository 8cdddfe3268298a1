"""Fixed-point formats and the two quantization steps the hardware uses.

A format is (bits, frac, signed): value = integer * 2**-frac, integer stored in `bits` bits two's
complement (or unsigned). Every narrowing in the accelerator is one of

* `round_shift`: drop `shift` fractional bits rounding half toward +inf, i.e. floor(v/2**s + 1/2)
  -- Vitis HLS `AP_RND` -- then saturate to the target range (`AP_SAT`);
* `saturate`: clamp to the target range with no rounding (same frac bits).

The HLS types are `ap_fixed<bits, bits-frac, AP_RND, AP_SAT>` (`ap_ufixed` when unsigned).
"""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class FixedFormat:
    bits: int
    frac: int
    signed: bool = True

    def __post_init__(self):
        if not 1 <= self.bits <= 32:
            raise ValueError(f"bits must be 1..32, got {self.bits}")
        if self.frac < 0:
            raise ValueError(f"frac must be >= 0, got {self.frac}")

    @property
    def int_min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def int_max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.frac

    @property
    def min(self) -> float:
        return self.int_min * self.lsb

    @property
    def max(self) -> float:
        return self.int_max * self.lsb

    @property
    def dtype(self) -> np.dtype:
        size = 8 if self.bits <= 8 else 16 if self.bits <= 16 else 32
        return np.dtype(f"{'i' if self.signed else 'u'}{size // 8}")

    @property
    def hls_type(self) -> str:
        kind = "ap_fixed" if self.signed else "ap_ufixed"
        return f"{kind}<{self.bits}, {self.bits - self.frac}, AP_RND, AP_SAT>"

    def saturate(self, v: np.ndarray) -> np.ndarray:
        """Clamp integers (any width) into this format's range; returns this format's dtype."""
        return np.clip(v, self.int_min, self.int_max).astype(self.dtype)

    def round_shift(self, v: np.ndarray, shift: int) -> np.ndarray:
        """AP_RND then AP_SAT: floor(v / 2**shift + 1/2), clamped. `v` holds exact int64
        products with `self.frac + shift` fractional bits."""
        v = np.asarray(v, dtype=np.int64)
        if shift > 0:
            v = (v + (1 << (shift - 1))) >> shift
        elif shift < 0:
            raise ValueError("round_shift only narrows")
        return self.saturate(v)

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Float -> this format, AP_RND + AP_SAT (what `ap_fixed x = (double)v;` does).
        NaN and inf are rejected: they have no fixed-point meaning."""
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("cannot quantize NaN or inf")
        scaled = np.floor(x * (1 << self.frac) + 0.5)
        return self.saturate(np.clip(scaled, -2.0 ** 62, 2.0 ** 62).astype(np.int64))

    def to_float(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(q, dtype=np.float64) * self.lsb


#: Formats of the default build (docs/CONTRACT.md, "Numeric formats").
FEAT = FixedFormat(16, 12)           # features in, node table, features out: Q4.12
COEF = FixedFormat(16, 15, signed=False)  # src/dst scales and edge weights: UQ1.15, [0, 2)
WGT = FixedFormat(16, 12)            # W: Q4.12
ACC = FixedFormat(32, 12)            # accumulator: exact sum of FEAT terms


@dataclasses.dataclass(frozen=True)
class NumericFormats:
    """The four formats of one build. A build other than the default gets its formats from
    `golden.contract.HwConfig.formats`."""

    feat: FixedFormat = FEAT
    coef: FixedFormat = COEF
    wgt: FixedFormat = WGT
    acc: FixedFormat = ACC

    def __post_init__(self):
        if self.acc.frac != self.feat.frac:
            raise ValueError("the accumulator must keep the feature's fractional bits (exact sum)")
        if self.coef.signed:
            raise ValueError("coefficients are unsigned")


DEFAULT_FORMATS = NumericFormats()
