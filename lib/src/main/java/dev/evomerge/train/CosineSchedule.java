package dev.evomerge.train;

/**
 * The learning rate of step {@code s} (0-based): a linear warm-up from 0 to {@code peak} over
 * {@code warmup} steps, then a half cosine from {@code peak} down to {@code floor} at the last
 * step (Loshchilov and Hutter's SGDR without restarts; nanoGPT's and Llama's schedule).
 */
public record CosineSchedule(double peak, double floor, int warmup, int steps) {

    public CosineSchedule {
        if (warmup < 0 || steps < 1 || warmup > steps) {
            throw new IllegalArgumentException("warmup_steps " + warmup + " must be between 0 and steps " + steps);
        }
    }

    public double at(int s) {
        if (s < warmup) {
            return peak * (s + 1) / warmup;
        }
        int decay = steps - warmup;
        double progress = decay <= 1 ? 1.0 : (double) (s - warmup) / (decay - 1);
        return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * Math.min(1.0, progress)));
    }
}
