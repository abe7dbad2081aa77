package dev.evomerge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.evomerge.io.Checkpoint;
import java.nio.file.Path;
import java.util.List;

/**
 * A LLaVA on DJL: {@link LlavaVision} turns an image into features, which take the places of the
 * prompt's image tokens ({@code image_token_index}, as many as the image has features, as
 * LLaVA's processor expands {@code <image>}); the language model is the engine's own
 * {@link Transformer}, the checkpoint's own ({@link #open}) or any other of the same width (a
 * merged candidate's, {@link #of}).
 */
public final class Llava implements AutoCloseable {
    private final LlavaVision vision;
    private final Transformer language;
    private final Checkpoint owned; // closed with this LLaVA when it opened it

    private Llava(LlavaVision vision, Transformer language, Checkpoint owned) {
        this.vision = vision;
        this.language = language;
        this.owned = owned;
    }

    /** A LLaVA checkpoint directory, whole (float32 on the CPU); closing it closes everything it opened. */
    public static Llava open(Path dir) {
        Checkpoint checkpoint = Checkpoint.open(dir);
        LlavaVision vision = null;
        try {
            vision = new LlavaVision(checkpoint);
            return new Llava(vision, Transformer.load(checkpoint, Device.cpu(), DataType.FLOAT32), checkpoint);
        } catch (RuntimeException e) {
            if (vision != null) {
                vision.close();
            }
            checkpoint.close();
            throw e;
        }
    }

    /** {@code vision} with {@code language} behind it; the caller keeps both and closes them. */
    public static Llava of(LlavaVision vision, Transformer language) {
        return new Llava(vision, language, null);
    }

    public Transformer languageModel() {
        return language;
    }

    public LlavaVision vision() {
        return vision;
    }

    public long imageTokenId() {
        return vision.imageTokenId();
    }

    /** An image (RGB, [height][width][3]) as the checkpoint's preprocessor_config.json prepares it. */
    public LlavaImage prepare(int[][][] rgb) {
        return vision.prepare(rgb);
    }

    /** The projected features of one image: [tokens, language width]. */
    public NDArray imageFeatures(NDManager m, LlavaImage image) {
        return vision.features(m, image);
    }

    /** Logits [T, V] of a prompt whose image tokens are replaced by the image's features. */
    public NDArray logits(NDManager m, long[] ids, LlavaImage image) {
        NDArray features = vision.features(m, image);
        return language.forwardEmbeddings(promptEmbeddings(m, new long[][] {ids}, List.of(features))).get(0);
    }

    /** Greedy continuation of such a prompt, up to {@code maxNewTokens}, ending before an EOS token. */
    public long[] generate(long[] ids, LlavaImage image, int maxNewTokens) {
        try (NDManager m = language.manager().newSubManager()) {
            NDArray features = vision.features(m, image);
            return new Generator(language, null).generate(List.of(ids), Generator.Options.greedy(maxNewTokens),
                    (sub, padded) -> promptEmbeddings(sub, padded, List.of(features))).get(0).tokens();
        }
    }

    /**
     * Embeddings [B, T, D] of a batch of (padded) prompts: token embeddings, and in row b the
     * features of image b, in order, at that row's image tokens.
     */
    public NDArray promptEmbeddings(NDManager m, long[][] ids, List<NDArray> features) {
        long imageToken = vision.imageTokenId();
        NDArray x = language.embed(Transformer.longs(m, ids)); // [B, T, D]
        for (int b = 0; b < ids.length; b++) {
            long[] row = ids[b];
            int[] at = java.util.stream.IntStream.range(0, row.length).filter(i -> row[i] == imageToken).toArray();
            long n = features.get(b).getShape().get(0);
            if (at.length != n) {
                throw new IllegalArgumentException("the prompt has " + at.length + " image tokens, the image gives " + n + " features");
            }
            // LLaVA's processor puts an image's tokens in one run: replace that span in one step
            if (at.length > 0 && at[at.length - 1] - at[0] == at.length - 1) {
                x.set(new ai.djl.ndarray.index.NDIndex("{}, {}:{}", b, at[0], at[0] + at.length), features.get(b));
            } else {
                for (int i = 0; i < at.length; i++) {
                    x.set(new ai.djl.ndarray.index.NDIndex("{}, {}", b, at[i]), features.get(b).get(i));
                }
            }
        }
        return x;
    }

    @Override
    public void close() {
        if (owned != null) {
            language.close();
            vision.close();
            owned.close();
        }
    }
}
