package dev.evomerge.model;

import java.util.List;

/**
 * One image as a LLaVA takes it: the vision tower's inputs ({@code [3, tile, tile]} each,
 * channels first, already normalized) and the image's size before preprocessing. A LLaVA-1.5
 * image is one input; a LLaVA-1.6 image is the global view and then its any-resolution tiles row
 * by row, and the size tells how much of the tiles' grid is the image rather than padding.
 */
public record LlavaImage(List<float[]> tiles, int height, int width) {
    public LlavaImage {
        if (tiles.isEmpty()) {
            throw new IllegalArgumentException("an image needs at least one tower input");
        }
        tiles = List.copyOf(tiles);
    }
}
