"""The classical head held by the last party ([the model][compositional-model]): logits z_c = scale_c·f_c + bias_c of the
quantum readouts f_c, and `head_loss`, their cross-entropy (logistic for a binary task with one
readout, softmax otherwise) with its derivatives ∂ℓ/∂z, from which the loss weights
w_c = scale_c·∂ℓ/∂z_c of the quantum gradient follow.
"""

from __future__ import annotations

import numpy as np

# ------------------------------------------------------------------------------------------------
# loss
# ------------------------------------------------------------------------------------------------


def head_loss(f: np.ndarray, y: np.ndarray, scale: np.ndarray, bias: np.ndarray, num_classes: int):
    """Cross-entropy of the logits z = scale·f + bias and its derivatives.

    Returns ``(loss (B,), correct (B,), dz (B, m))`` with dz = ∂ℓ/∂z (p − y): binary (m = 1)
    logistic loss on z₀; otherwise softmax cross-entropy over the M logits.
    """
    z = f * scale + bias
    if num_classes == 2:
        z0 = z[:, 0]
        loss = np.logaddexp(0.0, z0) - y * z0
        p = 0.5 * (1.0 + np.tanh(0.5 * z0))
        return loss, ((z0 > 0).astype(np.int64) == y), (p - y)[:, None]
    zmax = z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
    loss = lse - z[np.arange(len(y)), y]
    p = np.exp(z - lse[:, None])
    onehot = np.eye(num_classes)[y]
    return loss, (np.argmax(z, axis=1) == y), p - onehot
