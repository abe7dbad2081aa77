"""Shared by the golden scripts that build tiny random checkpoints with transformers."""
import torch


def perturb_norms_and_biases(model, scale=0.1):
    """Random init leaves norms at 1 and biases at 0: perturb them (and CLIP's class embedding) so a test sees them."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(".bias") or "class_embedding" in name:
                p.add_(scale * torch.randn_like(p))
