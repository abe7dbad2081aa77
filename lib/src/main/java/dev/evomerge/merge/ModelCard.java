package dev.evomerge.merge;

/** The model card (README.md) of a merged checkpoint: how it was made, from what, with which recipe. */
final class ModelCard {
    private ModelCard() {
    }

    static String of(MergeConfig cfg) {
        StringBuilder card = new StringBuilder("---\nlibrary_name: transformers\ntags:\n- merge\n- evomerge\n---\n# Merged model\n\n")
                .append("Made with evomerge using the **").append(cfg.method().name()).append("** merge method");
        if (cfg.baseModel() != null) {
            card.append(" with `").append(cfg.baseModel()).append("` as the base");
        }
        card.append(".\n\nModels merged:\n");
        cfg.models().forEach(m -> card.append("- `").append(m.model()).append("`\n"));
        cfg.slices().forEach(sl -> sl.sources().forEach(s -> card.append("- `").append(s.model()).append("` layers ")
                .append(s.from()).append("-").append(s.to() - 1).append("\n")));
        card.append("\nThe recipe is `mergekit_config.yml` (mergekit's format; evomerge's `seed` fixes DARE/DELLA masks).\n");
        return card.toString();
    }
}
