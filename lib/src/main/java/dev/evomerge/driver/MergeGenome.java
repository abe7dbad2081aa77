package dev.evomerge.driver;

import dev.evomerge.merge.MergeMethods;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The genome of a parameter-space merge and its decoding into a mergekit recipe, as in
 * mergekit-evolve and the paper: for each layer group ({@code layer_granularity} consecutive
 * layers; 0 = the whole model is one group), for each model, a weight and (for the methods that
 * read it) a density. The genome is laid out [group][model][parameter], row-major.
 *
 * <p>Decoding follows mergekit-evolve: a weight is |x| (x itself with {@code allow_negative_weights}),
 * a density is |x| clamped to [0, 1]. A group's values reach its layers through
 * {@code {filter: "model.layers.i.", value}} entries, which mergekit reads the same way; the
 * embeddings take the first group's values and the final norm and head the last group's (an
 * unfiltered entry), as mergekit's slices do.
 */
public final class MergeGenome {
    private final RunConfig run;
    private final int layers;
    private final int groups;
    private final List<String> parameters;

    public MergeGenome(RunConfig run, int layers) {
        this.run = run;
        this.layers = layers;
        if (run.layerGranularity() > 0 && layers % run.layerGranularity() != 0) {
            throw new RunConfigException(run.file(), "genome.layer_granularity", run.layerGranularity()
                    + " does not divide the models' " + layers + " layers");
        }
        this.groups = run.layerGranularity() == 0 ? 1 : layers / run.layerGranularity();
        this.parameters = MergeMethods.byName(run.method()).modelParameters().contains("density")
                ? List.of("weight", "density") : List.of("weight");
    }

    public int size() {
        return groups * run.models().size() * parameters.size();
    }

    public int groups() {
        return groups;
    }

    /** The genes of one model in one group: weight, and density for the methods that read it. */
    public List<String> parameters() {
        return parameters;
    }

    /** The gene names, in genome order: {@code g0.m1.density} is group 0, model 1, density. */
    public List<String> geneNames() {
        List<String> names = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            for (int m = 0; m < run.models().size(); m++) {
                for (String p : parameters) {
                    names.add("g" + g + ".m" + m + "." + p);
                }
            }
        }
        return names;
    }

    private int index(int group, int model, int parameter) {
        return (group * run.models().size() + model) * parameters.size() + parameter;
    }

    /** The decoded value of one gene, as the recipe carries it. */
    double decode(double[] genome, int group, int model, int parameter) {
        double x = genome[index(group, model, parameter)];
        return switch (parameters.get(parameter)) {
            case "density" -> Math.min(1, Math.abs(x));
            default -> run.allowNegativeWeights() ? x : Math.abs(x);
        };
    }

    /** The mergekit YAML recipe of a genome; {@code seed} fixes the DARE masks. */
    public String recipe(double[] genome, long seed) {
        if (genome.length != size()) {
            throw new IllegalArgumentException("genome of " + genome.length + " genes, the layout has " + size());
        }
        StringBuilder y = new StringBuilder();
        y.append("merge_method: ").append(run.method()).append('\n');
        if (run.baseModel() != null) {
            y.append("base_model: ").append(quote(run.baseModel())).append('\n');
        }
        y.append("models:\n");
        for (int m = 0; m < run.models().size(); m++) {
            y.append("  - model: ").append(quote(run.models().get(m))).append("\n    parameters:\n");
            for (int p = 0; p < parameters.size(); p++) {
                y.append("      ").append(parameters.get(p)).append(':');
                if (groups == 1) {
                    y.append(' ').append(number(decode(genome, 0, m, p))).append('\n');
                    continue;
                }
                y.append('\n');
                y.append("        - {filter: model.embed_tokens., value: ").append(number(decode(genome, 0, m, p))).append("}\n");
                int per = layers / groups;
                for (int layer = 0; layer < layers; layer++) {
                    y.append("        - {filter: model.layers.").append(layer).append(".").append(", value: ")
                            .append(number(decode(genome, layer / per, m, p))).append("}\n");
                }
                y.append("        - {value: ").append(number(decode(genome, groups - 1, m, p))).append("}\n");
            }
        }
        y.append("parameters:\n  normalize: ").append(run.normalize()).append('\n');
        if (run.dtype() != null) {
            y.append("dtype: ").append(run.dtype()).append('\n');
        }
        if (run.tokenizerSource() != null) {
            y.append("tokenizer_source: ").append(quote(run.tokenizerSource())).append('\n');
        }
        y.append("seed: ").append(seed).append('\n');
        return y.toString();
    }

    /** The plain merge every search is measured against: each model at weight 1/N, linearly. */
    public String uniformLinearRecipe() {
        StringBuilder y = new StringBuilder("merge_method: linear\nmodels:\n");
        for (String m : run.models()) {
            y.append("  - model: ").append(quote(m)).append("\n    parameters:\n      weight: ")
                    .append(number(1.0 / run.models().size())).append('\n');
        }
        if (run.dtype() != null) {
            y.append("dtype: ").append(run.dtype()).append('\n');
        }
        return y.toString();
    }

    /** Doubles in their shortest exact form, so a recipe re-read gives the same numbers. */
    private static String number(double v) {
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    /** A location as a YAML string (locations may hold ':' as in s3a://). */
    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
