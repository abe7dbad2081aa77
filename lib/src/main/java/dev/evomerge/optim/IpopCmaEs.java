package dev.evomerge.optim;

import java.util.Optional;
import org.apache.commons.math3.random.MersenneTwister;

/**
 * CMA-ES with restarts and a growing population (IPOP-CMA-ES, Auger and Hansen, CEC 2005): when
 * a run meets a stop criterion it starts again with twice the population, from a uniformly
 * random point of the bounds (or the initial mean when unbounded). Which candidate was best is the
 * caller's to keep (the driver's run state), as with every {@link Optimizer}.
 */
public final class IpopCmaEs implements Optimizer {
    private final int maxRestarts;
    private CmaEs current;

    public IpopCmaEs(CmaOptions options, int maxRestarts) {
        this.maxRestarts = maxRestarts;
        this.current = new CmaEs(options);
    }

    private IpopCmaEs(int maxRestarts, CmaEs current) {
        this.maxRestarts = maxRestarts;
        this.current = current;
    }

    /** Plain data: the running optimizer's state and how many restarts it may make. */
    public record State(int maxRestarts, CmaState current) implements OptimizerState {
        @Override
        public IpopCmaEs restore() {
            return new IpopCmaEs(maxRestarts, CmaEs.fromState(current));
        }
    }

    @Override
    public State state() {
        return new State(maxRestarts, current.state());
    }

    @Override
    public int objectives() {
        return 1;
    }

    @Override
    public int populationSize() {
        return current.populationSize();
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
    public TellReport tell(Population population, double[][] objectives) {
        return current.tell(population, objectives);
    }

    /** Set when the last allowed run has stopped too. */
    @Override
    public Optional<String> stopReason() {
        return current.restart() >= maxRestarts ? current.stopReason() : Optional.empty();
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
