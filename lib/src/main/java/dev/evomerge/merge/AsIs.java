package dev.evomerge.merge;

/** A checkpoint scored as it is (a parent, or a run's {@code best/}), at an absolute location. */
public record AsIs(String location) implements Recipe {

    @Override
    public String toYaml() {
        return "model: " + YamlText.quote(location) + "\n";
    }

    @Override
    public java.util.List<String> inputs() {
        return java.util.List.of(location);
    }
}
