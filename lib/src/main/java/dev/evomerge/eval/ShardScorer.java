package dev.evomerge.eval;

import dev.evomerge.io.Storage;
import dev.evomerge.model.CausalLm;
import dev.evomerge.model.Tokenizer;
import java.util.List;

/** One shard of one task of an evaluation set, scored with one model: what a Spark task of a scoring job does. */
public final class ShardScorer {
    private ShardScorer() {
    }

    public static Summary score(CausalLm model, Tokenizer tokenizer, EvalSet set, int task, int shard, Storage storage) {
        TaskSpec t = set.tasks().get(task);
        List<EvalItem> items = Split.parse(t.split()).select(Datasets.read(storage, t.data()));
        return Summary.of(new Evaluator(model, tokenizer, set.batchSize()).run(t.toTask(), Shards.of(items, set.shards()).get(shard)));
    }
}
