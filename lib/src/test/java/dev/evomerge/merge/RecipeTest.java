package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A typed recipe and its YAML form are one thing: written and read back, it is the same recipe; sent to an executor, too. */
class RecipeTest {

    @Test
    void aRecipeRoundTripsThroughItsYaml() {
        SplittableRandom r = new SplittableRandom(17);
        for (int trial = 0; trial < 200; trial++) {
            MergeConfig recipe = randomRecipe(r);
            String yaml = recipe.toYaml();
            MergeConfig back = MergeConfig.parse("recipe " + trial, yaml);
            assertEquals(recipe, back, yaml);
            assertEquals(yaml, back.toYaml(), "canonical: equal recipes have equal text");
        }
    }

    @Test
    void aPassthroughRecipeAndACheckpointAsItIsRoundTripToo() {
        String yaml = """
                merge_method: passthrough
                slices:
                  - sources:
                      - {model: 's3a://b/m:1', layer_range: [0, 3], parameters: {scale: [1.0, 0.5]}}
                  - sources:
                      - {model: /abs/m2, layer_range: [2, 5]}
                dtype: bfloat16
                """;
        MergeConfig parsed = MergeConfig.parse("p", yaml);
        assertEquals(parsed, MergeConfig.parse("again", parsed.toYaml()), parsed.toYaml());
        assertEquals("model: 'it''s here'\n", new AsIs("it's here").toYaml());
    }

    @Test
    void aRecipeTravelsAsItselfAndComparesByValue() throws Exception {
        MergeConfig recipe = randomRecipe(new SplittableRandom(3));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(recipe);
        }
        Object back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = in.readObject();
        }
        assertEquals(recipe, back);
        assertEquals(recipe.method(), ((MergeConfig) back).method());
        assertNotEquals(recipe, MergeConfig.parse("x", recipe.toYaml().replace("seed: ", "seed: 1")));
    }

    /** A recipe of the task-arithmetic family with every kind of parameter: constants, gradients, filters, odd numbers. */
    private static MergeConfig randomRecipe(SplittableRandom r) {
        String[] methods = {"task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs"};
        String method = methods[r.nextInt(methods.length)];
        List<MergeConfig.ModelEntry> models = new ArrayList<>();
        int count = 1 + r.nextInt(3);
        for (int m = 0; m < count; m++) {
            Map<String, ParameterValue> p = new LinkedHashMap<>();
            p.put("weight", value(r, false));
            if (!method.equals("task_arithmetic")) {
                p.put("density", value(r, true));
            }
            models.add(new MergeConfig.ModelEntry("s3a://bucket/models/m'" + m, p));
        }
        Map<String, ParameterValue> globals = new LinkedHashMap<>();
        globals.put("normalize", new ParameterValue.Constant(r.nextBoolean() ? 1 : 0));
        if (r.nextBoolean()) {
            globals.put("lambda", value(r, false));
        }
        return new MergeConfig(method, "file:/base model", models, List.of(), globals,
                r.nextBoolean() ? dev.evomerge.io.DType.F32 : null, r.nextBoolean() ? dev.evomerge.io.DType.BF16 : null,
                r.nextBoolean() ? new TokenizerSpec("base", Map.of(), 0, r.nextBoolean()) : null, null, r.nextLong());
    }

    private static ParameterValue value(SplittableRandom r, boolean unit) {
        return switch (r.nextInt(3)) {
            case 0 -> new ParameterValue.Constant(number(r, unit));
            case 1 -> new ParameterValue.Gradient(new double[] {number(r, unit), number(r, unit), number(r, unit)});
            default -> new ParameterValue.Filtered(java.util.Arrays.asList("model.embed_tokens.", "model.layers.0.", null),
                    List.of(new ParameterValue.Constant(number(r, unit)), new ParameterValue.Gradient(new double[] {number(r, unit),
                            number(r, unit)}), new ParameterValue.Constant(number(r, unit))));
        };
    }

    /** Numbers YAML could misread: tiny, huge, with exponents, negative zero. */
    private static double number(SplittableRandom r, boolean unit) {
        double x = switch (r.nextInt(4)) {
            case 0 -> r.nextDouble();
            case 1 -> r.nextDouble() * 1e-9;
            case 2 -> unit ? 1.0 : r.nextDouble() * 1e12;
            default -> unit ? 0.0 : -r.nextDouble();
        };
        return unit ? Math.min(1, Math.abs(x)) : x;
    }
}
