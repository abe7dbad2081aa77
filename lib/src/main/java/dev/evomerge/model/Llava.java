package dev.evomerge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.MappedBuffers;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.vision.AnyResolution;
import dev.evomerge.vision.ImagePreprocessor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A LLaVA checkpoint (Hugging Face's LlavaForConditionalGeneration and, with
 * {@code image_grid_pinpoints}, LlavaNextForConditionalGeneration layouts) on DJL: the vision
 * tower and projector turn an image into features (LLaVA-1.6: per any-resolution tile, packed by
 * {@link AnyResolutionFeatures}), which take the places of the prompt's {@code <image>} tokens
 * ({@code image_token_index}); the language model is the engine's own
 * {@link Transformer} over the checkpoint's {@code text_config}, its tensors read under the VLM's
 * names ({@code language_model.model.*} and {@code language_model.lm_head.weight} as the hub
 * stores them, or transformers 5's {@code model.language_model.*} and {@code lm_head.weight}).
 */
public final class Llava implements AutoCloseable {
    private final Checkpoint vlm;
    private final NDManager manager = NDManager.newBaseManager();
    private final VisionTower tower;
    private final MultiModalProjector projector;
    private final Transformer language;
    private final long imageToken;
    private final List<int[]> pinpoints;
    private final int tileSize;
    private final int tileSide;
    private final NDArray newline;
    private final ImagePreprocessor preprocessor;

    private Llava(Checkpoint vlm, Transformer language) {
        this.vlm = vlm;
        this.language = language;
        String where = vlm.dir().toString();
        JsonNode config = vlm.vlm().config();
        imageToken = config.path("image_token_index").asLong(config.path("image_token_id").asLong(-1));
        if (imageToken < 0) {
            throw new CheckpointException(where, "config.json: image_token_index missing");
        }
        pinpoints = AnyResolution.pinpoints(where + ": config.json: image_grid_pinpoints", config.get("image_grid_pinpoints"));
        tileSize = config.path("vision_config").path("image_size").asInt(224);
        tileSide = tileSize / config.path("vision_config").path("patch_size").asInt(14);
        Path preprocessorConfig = vlm.dir().resolve("preprocessor_config.json");
        preprocessor = Files.isRegularFile(preprocessorConfig) ? ImagePreprocessor.read(preprocessorConfig) : null;
        tower = new VisionTower(manager, config, vlm.vlmTensors()::containsKey, this::load, where);
        projector = new MultiModalProjector(config, this::load, where);
        newline = pinpoints.isEmpty() ? null
                : load(vlm.vlmTensors().containsKey("image_newline") ? "image_newline" : "model.image_newline");
    }

    /** A LLaVA checkpoint directory, whole: its own language model (float32 on the CPU). */
    public static Llava open(Path dir) {
        Checkpoint checkpoint = Checkpoint.open(dir);
        if (checkpoint.vlm() == null) {
            checkpoint.close();
            throw new CheckpointException(dir.toString(), "config.json: not a LLaVA (no text_config and vision_config)");
        }
        return of(checkpoint, Transformer.load(checkpoint, Device.cpu(), DataType.FLOAT32), true);
    }

    /**
     * A LLaVA whose vision tower, projector and image settings are {@code vlm}'s and whose language
     * model is {@code language} (a merged candidate's, say). Closing it closes the language model,
     * and {@code vlm} only when {@code ownsCheckpoint}.
     */
    public static Llava of(Checkpoint vlm, Transformer language, boolean ownsCheckpoint) {
        try {
            Llava llava = new Llava(vlm, language);
            llava.ownsCheckpoint = ownsCheckpoint;
            return llava;
        } catch (RuntimeException e) {
            language.close();
            if (ownsCheckpoint) {
                vlm.close();
            }
            throw e;
        }
    }

    private boolean ownsCheckpoint;

    public Transformer languageModel() {
        return language;
    }

    public long imageTokenId() {
        return imageToken;
    }

    /** An image (RGB, [height][width][3]) as the checkpoint's preprocessor_config.json prepares it. */
    public LlavaImage prepare(int[][][] rgb) {
        if (preprocessor == null) {
            throw new CheckpointException(where(), "no preprocessor_config.json: the image preprocessing is unknown");
        }
        return new LlavaImage(preprocessor.tilePixels(rgb), rgb.length, rgb[0].length);
    }

    /** The projected features of one image: [tokens, language width], one token per {@code <image>} in a prompt. */
    public NDArray imageFeatures(LlavaImage image) {
        NDList perTile = new NDList();
        for (float[] tile : image.tiles()) {
            int side = (int) Math.round(Math.sqrt(tile.length / 3.0));
            perTile.add(projector.project(tower.features(manager.create(tile, new Shape(3, side, side)))));
        }
        if (pinpoints.isEmpty()) {
            if (perTile.size() != 1) {
                throw new IllegalArgumentException(where() + ": a LLaVA-1.5 image is one tower input, got " + perTile.size());
            }
            return perTile.get(0);
        }
        return AnyResolutionFeatures.pack(NDArrays.stack(perTile), tileSide, tileSize, pinpoints, image.height(),
                image.width(), newline, where());
    }

    /**
     * Logits [T, V] of a prompt whose {@code <image>} tokens (as many as the image has features,
     * as LLaVA's processor expands them) are replaced by the image's features.
     */
    public NDArray logits(NDManager m, long[] ids, LlavaImage image) {
        return language.forwardEmbeddings(prompt(m, ids, image)).get(0);
    }

    /**
     * Greedy continuation of such a prompt, up to {@code maxNewTokens}, ending before an EOS token:
     * the prompt enters the KV cache as embeddings, then decoding runs as for text.
     */
    public long[] generate(long[] ids, LlavaImage image, int maxNewTokens) {
        List<Long> eos = language.config().eosTokenIds().stream().map(Integer::longValue).toList();
        List<Long> out = new ArrayList<>();
        try (NDManager m = language.manager().newSubManager();
             KvCache cache = new KvCache(m, language.depth(), 1, (long) ids.length + maxNewTokens)) {
            long[] ones = new long[ids.length];
            java.util.Arrays.fill(ones, 1);
            NDArray logits = language.forwardEmbeddings(prompt(m, ids, image), Transformer.longs(m, new long[][] {ones}),
                    cache, true);
            for (int n = 0; n < maxNewTokens; n++) {
                long next = logits.argMax(-1).toLongArray()[0];
                if (eos.contains(next)) {
                    break;
                }
                out.add(next);
                logits = language.forward(language.tokens(m, new long[][] {{next}}), Transformer.longs(m, new long[][] {{1}}),
                        cache, true);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** The prompt's embeddings [1, T, D]: token rows, and the image's features in the image tokens' places. */
    private NDArray prompt(NDManager m, long[] ids, LlavaImage image) {
        NDArray features = imageFeatures(image);
        long imageTokens = java.util.Arrays.stream(ids).filter(id -> id == imageToken).count();
        if (imageTokens != features.getShape().get(0)) {
            throw new IllegalArgumentException("the prompt has " + imageTokens + " image tokens, the image gives "
                    + features.getShape().get(0) + " features");
        }
        NDArray tokens = language.embed(m.create(ids, new Shape(1, ids.length))).get(0); // [T, D]
        List<NDArray> rows = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < ids.length; i++) {
            rows.add(ids[i] == imageToken ? features.get(next++).expandDims(0) : tokens.get(i).expandDims(0));
        }
        return NDArrays.concat(new NDList(rows)).expandDims(0);
    }

    private String where() {
        return vlm.dir().toString();
    }

    private NDArray load(String name) {
        TensorInfo t = vlm.vlmTensors().get(name);
        if (t == null) {
            throw new CheckpointException(where(), "no tensor '" + name + "'");
        }
        ByteBuffer bytes = vlm.vlmBytes(name);
        try {
            return manager.create(TensorBytes.toFloats(bytes, t.dtype(), (int) t.numel()), new Shape(t.shape()));
        } finally {
            MappedBuffers.unmap(bytes);
        }
    }

    @Override
    public void close() {
        language.close();
        manager.close();
        if (ownsCheckpoint) {
            vlm.close();
        }
    }
}
