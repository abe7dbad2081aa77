package dev.evomerge.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019), as PyTorch's {@code torch.optim.AdamW} computes it:
 *
 * <pre>
 * theta = theta * (1 - lr * lambda)           (decay: matrices only, not norms)
 * m = beta1 m + (1 - beta1) g
 * v = beta2 v + (1 - beta2) g^2
 * theta = theta - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 * </pre>
 *
 * DJL's own Adam adds the decay to the gradient (L2 coupled to the adaptive scale), which is not
 * what AdamW means and trains transformers worse. Gradients are clipped to a global norm before
 * the step, as {@code clip_grad_norm_} does. Everything runs in place on the parameters' device.
 */
public final class AdamW {
    private final List<NDArray> parameters;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private int t;

    public AdamW(List<NDArray> parameters, double beta1, double beta2, double eps, double weightDecay) {
        this.parameters = List.copyOf(parameters);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (NDArray p : parameters) {
            m.add(p.zerosLike());
            v.add(p.zerosLike());
        }
    }

    /**
     * Clips the gradients to a global L2 norm of {@code maxNorm} (when positive), takes one step
     * at {@code lr}, zeroes the gradients; returns the global norm before clipping.
     */
    public double step(double lr, double maxNorm) {
        t++;
        double norm = Math.sqrt(parameters.stream().mapToDouble(p -> {
            try (NDArray g = p.getGradient(); NDArray sq = g.square(); NDArray sum = sq.sum()) {
                return sum.getFloat();
            }
        }).sum());
        double clip = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
        double bias1 = 1 - Math.pow(beta1, t);
        double bias2 = 1 - Math.pow(beta2, t);
        for (int i = 0; i < parameters.size(); i++) {
            NDArray p = parameters.get(i);
            try (NDArray g = p.getGradient()) {
                if (clip != 1.0) {
                    g.muli(clip);
                }
                if (weightDecay > 0 && p.getShape().dimension() >= 2) {
                    p.muli(1 - lr * weightDecay);
                }
                m.get(i).muli(beta1).addi(g.mul(1 - beta1));
                v.get(i).muli(beta2).addi(g.square().muli(1 - beta2));
                try (NDArray denom = v.get(i).div(bias2).sqrt().addi(eps);
                     NDArray update = m.get(i).div(denom).muli(lr / bias1)) {
                    p.subi(update);
                }
                g.muli(0); // the next backward accumulates into a zero gradient
            }
        }
        return norm;
    }

    /** Steps taken. */
    public int steps() {
        return t;
    }
}
