package dev.evomerge.optim;

import java.util.Optional;
import org.apache.commons.math3.random.MersenneTwister;

/**
 * CMA-ES with restarts and a growing population (IPOP-CMA-ES, Auger and Hansen, CEC 2005): when
 * a run meets a stop criterion it starts again with twice the population, from a uniformly
 * random point of the bounds (or the initial mean when unbounded). The best candidate is kept
 * across restarts.
 */
public final class IpopCmaEs implements Optimizer {
    private final int maxRestarts;
    private CmaEs current;
    private double[] bestCandidate;
    private double bestFitness = Double.NaN;

    public IpopCmaEs(CmaOptions options, int maxRestarts) {
        this.maxRestarts = maxRestarts;
        this.current = new CmaEs(options);
    }

    private IpopCmaEs(int maxRestarts, CmaEs current, double[] bestCandidate, double bestFitness) {
        this.maxRestarts = maxRestarts;
        this.current = current;
        this.bestCandidate = bestCandidate;
        this.bestFitness = bestFitness;
    }

    /** Plain data: the running optimizer's state plus what IPOP keeps across restarts. */
    public record State(int maxRestarts, CmaState current, double[] bestCandidate, double bestFitness) {
    }

    public State state() {
        return new State(maxRestarts, current.state(), bestCandidate == null ? null : bestCandidate.clone(), bestFitness);
    }

    public static IpopCmaEs fromState(State s) {
        return new IpopCmaEs(s.maxRestarts(), CmaEs.fromState(s.current()),
                s.bestCandidate() == null ? null : s.bestCandidate().clone(), s.bestFitness());
    }

    public CmaEs current() {
        return current;
    }

    public int restarts() {
        return current.restart();
    }

    /** The next population, restarting first when the current run has stopped. */
    @Override
    public Population ask() {
        Optional<StopReason> stop = current.shouldStop();
        if (stop.isPresent() && current.restart() < maxRestarts) {
            CmaState s = current.state();
            int next = current.restart() + 1;
            current = new CmaEs(s.options().withMean(restartMean(s.options(), next)), next, 2 * current.populationSize());
        }
        return current.ask();
    }

    @Override
    public TellReport tell(Population population, double[] fitness) {
        TellReport report = current.tell(population, fitness);
        double sign = current.state().options().maximize() ? -1 : 1;
        double f = current.bestFitness();
        if (Double.isFinite(f) && (Double.isNaN(bestFitness) || sign * f < sign * bestFitness)) {
            bestFitness = f;
            bestCandidate = current.bestCandidate();
        }
        return report;
    }

    /** True when the last allowed run has stopped too. */
    @Override
    public boolean finished() {
        return current.restart() >= maxRestarts && current.shouldStop().isPresent();
    }

    public double[] bestCandidate() {
        return bestCandidate == null ? null : bestCandidate.clone();
    }

    public double bestFitness() {
        return bestFitness;
    }

    private static double[] restartMean(CmaOptions o, int restart) {
        if (o.lower() == null) {
            return o.mean();
        }
        MersenneTwister rng = new MersenneTwister(new int[] {(int) (o.seed() >>> 32), (int) o.seed(), restart, -1});
        double[] m = new double[o.dimension()];
        for (int i = 0; i < m.length; i++) {
            m[i] = o.lower()[i] + rng.nextDouble() * (o.upper()[i] - o.lower()[i]);
        }
        return m;
    }
}
