"""Loss functions of torch.nn.functional: regression losses and what every loss shares
(regression), binary cross entropy and friends (bce), nll/cross_entropy (nll), margin and
embedding losses (margin), ctc_loss (ctc), the torch.X forms (torch_forms)."""
