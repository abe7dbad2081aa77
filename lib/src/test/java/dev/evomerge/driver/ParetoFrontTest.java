package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParetoFrontTest {
    /** Accuracy up, loss down. */
    private static final List<Objective> ACC_LOSS = List.of(new Objective("acc", "t.accuracy", null, true),
            new Objective("loss", "u.loss", null, false));

    private static ParetoFront.Member member(int generation, int candidate, double acc, double loss) {
        return new ParetoFront.Member(generation, candidate, new double[] {acc, loss}, 0, new double[0], "g" + generation + "c" + candidate);
    }

    private static List<String> found(List<ParetoFront.Member> front) {
        return front.stream().map(ParetoFront.Member::recipe).toList();
    }

    @Test
    void updateKeepsTheNondominatedOfEverythingSeenInTheObjectivesDirections() {
        List<ParetoFront.Member> front = ParetoFront.update(List.of(), List.of(member(1, 0, 0.5, 3.0), member(1, 1, 0.4, 2.0),
                member(1, 2, 0.4, 3.5), member(1, 3, 0.6, 4.0), new ParetoFront.Member(1, 4, new double[] {Double.NaN, Double.NaN}, 0,
                        new double[0], "failed")), ACC_LOSS);
        // (0.4, 3.5) is dominated by (0.5, 3.0): less accurate and more loss; a failed candidate never joins
        assertEquals(List.of("g1c3", "g1c0", "g1c1"), found(front), "ordered by the first objective, best (most accurate) first");
        front = ParetoFront.update(front, List.of(member(2, 0, 0.5, 2.0), member(2, 1, 0.5, 3.0)), ACC_LOSS);
        // (0.5, 2.0) dominates (0.4, 2.0) and (0.5, 3.0); (0.5, 3.0) found again is dominated too
        assertEquals(List.of("g1c3", "g2c0"), found(front));
        List<ParetoFront.Member> twins = ParetoFront.update(List.of(), List.of(member(3, 1, 0.7, 1.0), member(3, 0, 0.7, 1.0)), ACC_LOSS);
        assertEquals(List.of("g3c0"), found(twins), "of equal values the earlier stays");
    }

    @Test
    void theKneeIsNearestTheIdealInNormalizedManhattanDistance() {
        // front (acc, loss): (0.2, 1.0) (0.5, 2.0) (0.6, 4.0) (0.8, 9.0)
        // normalized to [0, 1], 0 = best: acc (0.8 - a) / 0.6, loss (l - 1) / 8
        // sums: 1.0 + 0; 0.5 + 0.125 = 0.625; 0.3333 + 0.375 = 0.7083; 0 + 1 = 1.0 -> the knee is (0.5, 2.0)
        List<ParetoFront.Member> front = ParetoFront.update(List.of(), List.of(member(1, 0, 0.2, 1.0), member(1, 1, 0.5, 2.0),
                member(1, 2, 0.6, 4.0), member(1, 3, 0.8, 9.0)), ACC_LOSS);
        ParetoFront.Choice knee = ParetoFront.choose(front, ACC_LOSS, RunConfig.Choose.KNEE);
        assertEquals("g1c1", front.get(knee.index()).recipe());
        ParetoFront.Choice bounded = ParetoFront.choose(front, ACC_LOSS, new RunConfig.Choose("acc", Map.of("loss", 5.0)));
        assertEquals("g1c2", front.get(bounded.index()).recipe(), "the most accurate with loss <= 5");
        ParetoFront.Choice lowest = ParetoFront.choose(front, ACC_LOSS, new RunConfig.Choose("loss", Map.of("acc", 0.55)));
        assertEquals("g1c2", front.get(lowest.index()).recipe(), "the lowest loss with accuracy >= 0.55");
        ParetoFront.Choice none = ParetoFront.choose(front, ACC_LOSS, new RunConfig.Choose("acc", Map.of("loss", 0.5)));
        assertEquals("g1c1", front.get(none.index()).recipe());
        assertTrue(none.why().contains("no member is within"), none.why());
    }

    @Test
    void hypervolumeIsMeasuredInTheFirstGenerationsFrame() {
        List<double[]> first = new ArrayList<>();
        first.add(ParetoFront.minimized(ACC_LOSS, new double[] {0.2, 1.0}));
        first.add(ParetoFront.minimized(ACC_LOSS, new double[] {0.6, 3.0}));
        ParetoFront.Frame frame = ParetoFront.Frame.of(first);
        // minimized: (-0.2, 1) and (-0.6, 3); spans 0.4 and 2; reference (-0.2 + 0.04, 3 + 0.2)
        assertEquals(-0.16, frame.reference()[0], 1e-12);
        assertEquals(3.2, frame.reference()[1], 1e-12);
        List<ParetoFront.Member> front = List.of(member(1, 0, 0.2, 1.0), member(1, 1, 0.6, 3.0));
        // in span units: points (-0.5, 0.5) and (-1.5, 1.5), reference (-0.4, 1.6):
        // (-0.4 + 1.5) x (1.6 - 1.5) + (-0.4 + 0.5) x (1.5 - 0.5) = 0.11 + 0.1 = 0.21
        assertEquals(0.21, ParetoFront.hypervolume(front, ACC_LOSS, frame), 1e-12);
    }
}
