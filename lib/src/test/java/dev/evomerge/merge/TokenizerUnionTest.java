package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge of models whose vocabularies differ by added tokens (the tokenizer fixtures: the math
 * fine-tune with <|calc|> and <|math|>, the Japanese one with <|ja|> and <|calc|>), worked by hand:
 * the union's tokens and ids, each added token's merged embedding row, the files written.
 */
class TokenizerUnionTest {
    @TempDir
    Path tmp;

    private static final Path BASE = Fixtures.model("stories260K");
    private static final Path MATH = Fixtures.repoRoot().resolve("lib/src/test/resources/tokenizer-fixtures/stories260K-math-tok");
    private static final Path JA = Fixtures.repoRoot().resolve("lib/src/test/resources/tokenizer-fixtures/stories260K-ja-tok");

    private Path merge(String tokenizer) {
        String yaml = """
                merge_method: linear
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: 0.2}}
                  - {model: %s, parameters: {weight: 0.5}}
                  - {model: %s, parameters: {weight: 0.3}}
                %s
                dtype: float32
                """.formatted(BASE, BASE, MATH, JA, tokenizer);
        Path out = tmp.resolve("out" + Math.abs(tokenizer.hashCode()));
        Merger.merge(MergeConfig.parse("union.yaml", yaml), out, new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
        return out;
    }

    private static float[] row(Checkpoint c, int id) {
        float[] all = c.floats("model.embed_tokens.weight");
        float[] r = new float[64];
        System.arraycopy(all, id * 64, r, 0, 64);
        return r;
    }

    @Test
    void theUnionHasEveryTokenAndEachAddedTokensRowIsMergedFromItsDefaults() throws Exception {
        Path out = merge("tokenizer: {source: union}");
        try (Checkpoint merged = Checkpoint.open(out); Checkpoint base = Checkpoint.open(BASE); Checkpoint math = Checkpoint.open(MATH);
             Checkpoint ja = Checkpoint.open(JA)) {
            // 512 base tokens, then math's <|calc|> (512) and <|math|> (513), then ja's <|ja|> (514): <|calc|> is there already
            assertEquals(515, merged.config().vocabSize());
            JsonNode tok = new ObjectMapper().readTree(out.resolve("tokenizer.json").toFile());
            List<String> added = new ArrayList<>();
            tok.get("added_tokens").forEach(t -> added.add(t.get("id").asInt() + ":" + t.get("content").asText()));
            assertEquals(List.of("0:<unk>", "1:<s>", "2:</s>", "512:<|calc|>", "513:<|math|>", "514:<|ja|>"), added);
            // <|math|>: only math has it, so every model's row is math's; the weights sum to 1
            float[] expected = row(math, 513);
            float[] got = row(merged, 513);
            for (int j = 0; j < 64; j++) {
                assertEquals(expected[j], got[j], 1e-6f);
            }
            // <|calc|>: math (512) and ja (513) have it, the base does not: the base's row is their mean
            float[] m = row(math, 512);
            float[] jaRow = row(ja, 513);
            float[] calc = row(merged, 512);
            for (int j = 0; j < 64; j++) {
                assertEquals(0.2f * (m[j] + jaRow[j]) / 2 + 0.5f * m[j] + 0.3f * jaRow[j], calc[j], 1e-6f);
            }
            // a shared token: the plain weighted mean of the three rows
            float[] b = row(base, 100);
            float[] shared = row(merged, 100);
            float[] mm = row(math, 100);
            float[] jj = row(ja, 100);
            for (int j = 0; j < 64; j++) {
                assertEquals(0.2f * b[j] + 0.5f * mm[j] + 0.3f * jj[j], shared[j], 1e-6f);
            }
            // DJL's tokenizer reads the written files: an added token encodes to its new id
            Tokenizer t = Tokenizer.load(out, merged.config());
            long[] ids = t.encode("<|ja|>", false);
            assertArrayEquals(new long[] {514}, ids);
        }
    }

    @Test
    void aSliceRecipeTakesTheUnionToo() throws Exception {
        String yaml = """
                merge_method: linear
                slices:
                  - sources:
                      - {model: %s, layer_range: [0, 5], parameters: {weight: 0.5}}
                      - {model: %s, layer_range: [0, 5], parameters: {weight: 0.5}}
                tokenizer: {source: union}
                dtype: float32
                """.formatted(BASE, MATH); // 512 and 514 rows
        Path out = tmp.resolve("slices");
        Merger.merge(MergeConfig.parse("slices.yaml", yaml), out, new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
        try (Checkpoint merged = Checkpoint.open(out); Checkpoint math = Checkpoint.open(MATH)) {
            assertEquals(514, merged.config().vocabSize());
            // <|math|> (513): only math has it, so the base's row is math's too
            float[] expected = row(math, 513);
            float[] got = row(merged, 513);
            for (int j = 0; j < 64; j++) {
                assertEquals(expected[j], got[j], 1e-6f);
            }
        }
    }

    @Test
    void padToMultipleOfAddsMeanRowsAndTokenRulesOverrideTheDefaults() throws Exception {
        Path out = merge("""
                tokenizer:
                  source: union
                  pad_to_multiple_of: 8
                  tokens:
                    <|ja|>: {source: {kind: zero}}
                    <|calc|>: {source: %s, force: true}
                """.formatted(JA).stripTrailing().replace("\n", "\n"));
        try (Checkpoint merged = Checkpoint.open(out); Checkpoint ja = Checkpoint.open(JA)) {
            assertEquals(520, merged.config().vocabSize()); // 515 padded to a multiple of 8
            float[] zero = row(merged, 514);
            // <|ja|> zero for the models that lack it; ja's own row kept (not forced): 0.3 of ja's row
            float[] jaRow = row(ja, 512);
            for (int j = 0; j < 64; j++) {
                assertEquals(0.3f * jaRow[j], zero[j], 1e-6f);
            }
            // <|calc|> forced to ja's row for every model, math's own row included
            float[] calc = row(merged, 512);
            float[] jaCalc = row(ja, 513);
            for (int j = 0; j < 64; j++) {
                assertEquals(jaCalc[j], calc[j], 1e-6f);
            }
            // a padding row is the mean of the vocabulary's rows (each model's, then merged: the same mean)
            float[] all = merged.floats("model.embed_tokens.weight");
            for (int j = 0; j < 64; j += 9) {
                double mean = 0;
                for (int id = 0; id < 515; id++) {
                    mean += all[id * 64 + j];
                }
                assertEquals(mean / 515, all[517 * 64 + j], 1e-5);
            }
        }
    }

    @Test
    void differentVocabulariesWithoutATokenizerAreRefusedAndAUnionCannotBeScoredInMemory() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> merge(""));
        assertTrue(e.getMessage().contains("different vocabularies: give tokenizer: {source: union}"), e.getMessage());
        MergeConfig union = MergeConfig.parse("u", "merge_method: linear\nmodels: [{model: " + MATH + ", parameters: {weight: 1}}, {model: "
                + JA + ", parameters: {weight: 1}}]\ntokenizer_source: union\n");
        java.util.Map<String, Checkpoint> open = new java.util.HashMap<>();
        try {
            MergePlan plan = Merger.plan(union, l -> open.computeIfAbsent(l, x -> Checkpoint.open(Path.of(x))));
            IllegalArgumentException inMemory = assertThrows(IllegalArgumentException.class, plan::tokenizer);
            assertTrue(inMemory.getMessage().startsWith("tokenizer source union: the merged tokenizer is built when the merge is written"));
        } finally {
            open.values().forEach(Checkpoint::close);
        }
    }
}
