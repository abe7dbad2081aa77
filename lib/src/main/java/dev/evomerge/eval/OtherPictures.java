package dev.evomerge.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * A sight check for VQA: the same questions, each asked about another item's picture (item i gets
 * the picture of item i + n/2, mod n). A model that reads the picture answers them worse; one that
 * answers from the question alone (guessing an option it names, the likeliest count) answers them
 * as well as before. A score ahead of a parent's can come from either, so a claim that a merge
 * sees is read off the drop, not off the score.
 */
public final class OtherPictures {
    private OtherPictures() {
    }

    /** {@code items} with their pictures rotated by half the set; refused for fewer than two VQA items. */
    public static List<EvalItem> of(List<EvalItem> items) {
        int n = items.size();
        if (n < 2) {
            throw new IllegalArgumentException("a sight check needs at least 2 VQA items, got " + n);
        }
        List<EvalItem> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            EvalItem item = items.get(i);
            EvalItem other = items.get((i + n / 2) % n);
            if (item.image() == null || other.image() == null) {
                throw new IllegalArgumentException("a sight check needs a picture per item; item " + (item.image() == null ? item.index()
                        : other.index()) + " has none");
            }
            out.add(new EvalItem(item.index(), item.question(), item.answerText(), item.answerNumber(), other.image()));
        }
        return out;
    }

    /**
     * How many points fewer answers hold the reference with other pictures than with their own
     * (per item, own minus other, x100), with a 95% paired bootstrap interval: above zero, the
     * answers depend on the picture.
     */
    public static BootstrapInterval drop(List<ItemResult> own, List<ItemResult> others) {
        if (own.size() != others.size()) {
            throw new IllegalArgumentException("a sight check compares the same items: " + own.size() + " and " + others.size());
        }
        double[] d = new double[own.size()];
        for (int i = 0; i < d.length; i++) {
            if (own.get(i).index() != others.get(i).index()) {
                throw new IllegalArgumentException("a sight check compares the same items: item " + own.get(i).index() + " against "
                        + others.get(i).index());
            }
            d[i] = 100.0 * ((own.get(i).correct() ? 1 : 0) - (others.get(i).correct() ? 1 : 0));
        }
        return BootstrapInterval.of(d, 0.95, 1000, 0);
    }
}
