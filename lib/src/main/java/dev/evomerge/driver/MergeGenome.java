package dev.evomerge.driver;

import dev.evomerge.io.TensorNames;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.MergeMethods;
import dev.evomerge.merge.ParameterValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The genome of a parameter-space merge and its decoding into a mergekit recipe, as in
 * mergekit-evolve and the paper: for each layer group ({@code layer_granularity} consecutive
 * layers; 0 = the whole model is one group), for each model, a weight and (for the methods that
 * read it) a density. The genome is laid out [group][model][parameter], row-major; every gene
 * starts at {@code x0} and lives in [0, 1] (weights in [-1, 1] with {@code allow_negative_weights}).
 *
 * <p>Decoding follows mergekit-evolve: a weight is |x| (x itself with {@code allow_negative_weights}),
 * a density is |x| clamped to [0, 1]. A group's values reach its layers through
 * {@code {filter: "model.layers.i.", value}} entries, which mergekit reads the same way; the
 * embeddings take the first group's values and the final norm and head the last group's (an
 * unfiltered entry), as mergekit's slices do.
 */
public final class MergeGenome implements Genome {
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
        this.parameters = MergeMethods.byName(run.method()).parametersRead().contains("density")
                ? List.of("weight", "density") : List.of("weight");
    }

    @Override
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
    @Override
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

    @Override
    public double[] lower() {
        double[] lo = new double[size()];
        List<String> names = geneNames();
        for (int i = 0; i < lo.length; i++) {
            lo[i] = run.allowNegativeWeights() && names.get(i).endsWith(".weight") ? -1 : 0;
        }
        return lo;
    }

    @Override
    public double[] upper() {
        double[] hi = new double[size()];
        Arrays.fill(hi, 1);
        return hi;
    }

    /** The paper's Optuna setup: every gene at x0 (0.5). */
    @Override
    public double[] initial() {
        double[] x = new double[size()];
        Arrays.fill(x, run.x0());
        return x;
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT, "%d genes = %d layer group(s) x %d model(s) x (%s)", size(), groups,
                run.models().size(), String.join(", ", parameters));
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

    /** The recipe of a genome, with the run's seed (which fixes the DARE masks). */
    @Override
    public MergeConfig decode(double[] genome) {
        return decode(genome, run.seed());
    }

    /** The recipe of a genome; {@code seed} fixes the DARE masks. */
    public MergeConfig decode(double[] genome, long seed) {
        if (genome.length != size()) {
            throw new IllegalArgumentException("genome of " + genome.length + " genes, the layout has " + size());
        }
        List<MergeConfig.ModelEntry> models = new ArrayList<>();
        for (int m = 0; m < run.models().size(); m++) {
            Map<String, ParameterValue> params = new LinkedHashMap<>();
            for (int p = 0; p < parameters.size(); p++) {
                params.put(parameters.get(p), groups == 1 ? new ParameterValue.Constant(decode(genome, 0, m, p)) : byGroup(genome, m, p));
            }
            models.add(new MergeConfig.ModelEntry(run.models().get(m), params));
        }
        return new MergeConfig(run.method(), run.baseModel(), models, List.of(),
                Map.of("normalize", new ParameterValue.Constant(run.normalize() ? 1 : 0)), computeDtype(), outDtype(), tokenizer(), null,
                seed);
    }

    /** One model's parameter by layer: the embeddings at the first group's value, each layer its group's, the rest the last group's. */
    private ParameterValue byGroup(double[] genome, int m, int p) {
        List<String> filters = new ArrayList<>();
        List<ParameterValue> values = new ArrayList<>();
        filters.add(TensorNames.EMBEDDINGS_FILTER);
        values.add(new ParameterValue.Constant(decode(genome, 0, m, p)));
        int per = layers / groups;
        for (int layer = 0; layer < layers; layer++) {
            filters.add(TensorNames.layerPrefix(layer));
            values.add(new ParameterValue.Constant(decode(genome, layer / per, m, p)));
        }
        filters.add(null);
        values.add(new ParameterValue.Constant(decode(genome, groups - 1, m, p)));
        return new ParameterValue.Filtered(filters, values);
    }

    /**
     * The run's {@code dtype} is best/'s. evomerge merges in float32 whatever it writes; a recipe
     * that says so ({@code dtype: float32}, and {@code out_dtype} when best/ is narrower) makes
     * mergekit compute exactly what was scored.
     */
    private dev.evomerge.io.DType computeDtype() {
        return run.dtype() == null ? null : dev.evomerge.io.DType.F32;
    }

    private dev.evomerge.io.DType outDtype() {
        dev.evomerge.io.DType out = run.dtype() == null ? null : dev.evomerge.io.DType.fromTorchName(run.dtype());
        return out == dev.evomerge.io.DType.F32 ? null : out;
    }

    private dev.evomerge.merge.TokenizerSpec tokenizer() {
        return run.tokenizerSource() == null ? null : new dev.evomerge.merge.TokenizerSpec(run.tokenizerSource(), Map.of(), 0, true);
    }

    /**
     * The untuned merges the evolved one is measured against ({@code merge: baselines}, by default
     * linear only): linear at 1/N ("linear 1/N", when there are several models), and any other
     * method at the defaults of the papers that define them: every model at weight 1 (task
     * arithmetic's lambda = 1; TIES's disjoint mean under normalize), density 0.5 where the method
     * reads one.
     */
    @Override
    public Map<String, dev.evomerge.merge.Recipe> baselines() {
        Map<String, dev.evomerge.merge.Recipe> out = new java.util.LinkedHashMap<>();
        for (String method : run.baselines()) {
            if (method.equals("linear")) {
                if (run.models().size() > 1) {
                    out.put("linear 1/" + run.models().size(), uniformLinearRecipe());
                }
                continue;
            }
            boolean density = dev.evomerge.merge.MergeMethods.byName(method).parametersRead().contains("density");
            Map<String, ParameterValue> parameters = density
                    ? Map.of("weight", new ParameterValue.Constant(1.0), "density", new ParameterValue.Constant(0.5))
                    : Map.of("weight", new ParameterValue.Constant(1.0));
            List<MergeConfig.ModelEntry> models = new ArrayList<>();
            run.models().forEach(m -> models.add(new MergeConfig.ModelEntry(m, parameters)));
            out.put(method + (density ? " (weight 1, density 0.5)" : " (weight 1)"), new MergeConfig(method, run.baseModel(),
                    models, List.of(), Map.of(), computeDtype(), outDtype(), tokenizer(), null, run.seed()));
        }
        return out;
    }

    /** The plain merge every search is measured against: each model at weight 1/N, linearly. */
    public MergeConfig uniformLinearRecipe() {
        List<MergeConfig.ModelEntry> models = new ArrayList<>();
        for (String m : run.models()) {
            models.add(new MergeConfig.ModelEntry(m, Map.of("weight", new ParameterValue.Constant(1.0 / run.models().size()))));
        }
        return new MergeConfig("linear", null, models, List.of(), Map.of(), computeDtype(), outDtype(), tokenizer(), null, 0);
    }
}
