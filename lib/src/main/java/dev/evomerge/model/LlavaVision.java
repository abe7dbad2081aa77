package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.LlavaLayout;
import dev.evomerge.io.MappedBuffers;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.vision.AnyResolution;
import dev.evomerge.vision.ImagePreprocessor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The seeing half of a LLaVA (Hugging Face's LlavaForConditionalGeneration and, with
 * {@code image_grid_pinpoints}, LlavaNextForConditionalGeneration): the checkpoint's image
 * preprocessing, the CLIP vision tower and the projector that turn an image into features in the
 * language model's width (LLaVA-1.6: per any-resolution tile, packed by
 * {@link AnyResolutionFeatures}), and the token those features replace in a prompt. Loaded once
 * per VLM and shared by every language model put behind it (a merge's candidates).
 */
public final class LlavaVision implements AutoCloseable {
    private final String where;
    private final NDManager manager = NDManager.newBaseManager();
    private final VisionTower tower;
    private final MultiModalProjector projector;
    private final long imageToken;
    private final List<int[]> pinpoints;
    private final int tileSize;
    private final int tileSide;
    private final NDArray newline;
    private final ImagePreprocessor preprocessor;

    /** The vision parts of {@code vlm}, a checkpoint opened as a VLM ({@link Checkpoint#vlm}). */
    public LlavaVision(Checkpoint vlm) {
        where = vlm.dir().toString();
        if (vlm.vlm() == null) {
            throw new CheckpointException(where, "config.json: not a LLaVA (no text_config and vision_config)");
        }
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
        try {
            LlavaLayout layout = vlm.vlm();
            tower = new VisionTower(manager, config, name -> vlm.vlmTensors().containsKey(layout.ownName(name)),
                    name -> load(vlm, layout.ownName(name)), where);
            projector = new MultiModalProjector(config, name -> load(vlm, layout.ownName(name)), where);
            newline = pinpoints.isEmpty() ? null : load(vlm, layout.ownName("image_newline"));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public long imageTokenId() {
        return imageToken;
    }

    /** The CLIP tower, as the checkpoint has it (a trainer's loss runs it batched). */
    public VisionTower tower() {
        return tower;
    }

    public MultiModalProjector projector() {
        return projector;
    }

    /** An image (RGB, [height][width][3]) as the checkpoint's preprocessor_config.json prepares it. */
    public LlavaImage prepare(int[][][] rgb) {
        if (preprocessor == null) {
            throw new CheckpointException(where, "no preprocessor_config.json: the image preprocessing is unknown");
        }
        return new LlavaImage(preprocessor.tilePixels(rgb), rgb.length, rgb[0].length);
    }

    /** The projected features of one image, on {@code m}: [tokens, language width], one per image token of a prompt. */
    public NDArray features(NDManager m, LlavaImage image) {
        NDList perTile = new NDList();
        for (float[] tile : image.tiles()) {
            int side = (int) Math.round(Math.sqrt(tile.length / 3.0));
            perTile.add(projector.project(tower.features(m.create(tile, new Shape(3, side, side)))));
        }
        if (pinpoints.isEmpty()) {
            if (perTile.size() != 1) {
                throw new IllegalArgumentException(where + ": a LLaVA-1.5 image is one tower input, got " + perTile.size());
            }
            return perTile.get(0);
        }
        return AnyResolutionFeatures.pack(NDArrays.stack(perTile), tileSide, tileSize, pinpoints, image.height(), image.width(),
                newline, where);
    }

    /**
     * How many features {@link #features} gives for an image of {@code height} x {@code width}
     * pixels, without preparing it or running the tower: its prompt's image tokens.
     */
    public int featureCount(int height, int width) {
        if (pinpoints.isEmpty()) {
            return tower.featureCount(tileSize, tileSize); // the processor crops every image to the tower's size
        }
        return AnyResolutionFeatures.count(tileSide, tileSize, pinpoints, height, width);
    }

    private NDArray load(Checkpoint vlm, String name) {
        TensorInfo t = vlm.vlmTensors().get(name);
        if (t == null) {
            throw new CheckpointException(where, "no tensor '" + name + "'");
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
        manager.close();
    }
}
