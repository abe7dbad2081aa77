package dev.evomerge.driver;

import dev.evomerge.merge.Recipe;
import java.util.List;

/**
 * The search space of a run: a vector of genes, each with its bounds and name, where the search
 * starts, and how a vector becomes a recipe. The parameter-space merge's layout
 * ({@link MergeGenome}) is the first; a data-flow layer path is another. The optimizer sees only
 * the numbers; the driver decodes them.
 */
public interface Genome {
    int size();

    /** One name per gene, in genome order (for tables and plots). */
    List<String> geneNames();

    double[] lower();

    double[] upper();

    /**
     * Which genes are binary: they mean only "off" (the lower bound) or "on" (the upper), as a
     * data-flow path's include indicators do. A genetic algorithm flips them; CMA-ES searches
     * them as numbers and the decoding thresholds them.
     */
    default boolean[] binary() {
        return new boolean[size()];
    }

    /** The search's starting point (the optimizer's initial mean). */
    double[] initial();

    /** The candidate a vector stands for. */
    Recipe decode(double[] genes);

    /** One line for the dry run and the report: what the genes are. */
    String describe();

    /** The untuned merges the end-of-run table measures the evolved one against, by label (in order). */
    java.util.Map<String, Recipe> baselines();
}
