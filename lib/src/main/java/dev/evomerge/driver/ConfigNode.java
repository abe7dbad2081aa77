package dev.evomerge.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.evomerge.io.Locations;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One mapping of a run config with its dotted path, reading typed values with defaults. Every
 * problem is a {@link RunConfigException}: the file, the full key, what is wrong. Locations are
 * resolved against the config file's own location ({@code origin}, absolute) and remembered with
 * the text they were written as ({@link #labels}).
 */
public final class ConfigNode {
    private final String file;
    private final String origin;
    private final Map<String, String> labels;
    private final String path;
    private final JsonNode node;

    /** The top level of the config {@code file} (as the user named it), which lies at {@code origin}. */
    /** The YAML file {@code file} (a {@code what}: "training config", say), its relative paths taken from its folder. */
    public static ConfigNode read(java.nio.file.Path file, String what) {
        String yaml;
        try {
            yaml = java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the " + what + ": " + e.getMessage());
        }
        return new ConfigNode(file.toString(), dev.evomerge.io.Locations.absolute(file.toString()),
                dev.evomerge.io.SafeYaml.tree(file.toString(), yaml));
    }

    public ConfigNode(String file, String origin, JsonNode node) {
        this(file, origin, new LinkedHashMap<>(), "", node);
    }

    private ConfigNode(String file, String origin, Map<String, String> labels, String path, JsonNode node) {
        this.file = file;
        this.origin = origin;
        this.labels = labels;
        this.path = path;
        this.node = node == null || node.isNull() ? MissingNode.getInstance() : node;
        if (!this.node.isMissingNode() && !this.node.isObject()) {
            throw new RunConfigException(file, path.isEmpty() ? "(top level)" : path, "must be a mapping");
        }
    }

    String key(String k) {
        return path.isEmpty() ? k : path + "." + k;
    }

    public RunConfigException error(String k, String problem) {
        return new RunConfigException(file, key(k), problem);
    }

    /** Refuses keys this mapping does not know (a typo would otherwise be silently ignored). */
    public ConfigNode onlyKeys(String... known) {
        Set<String> allowed = Set.of(known);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw error(k, "unknown key (known here: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
        return this;
    }

    public boolean has(String k) {
        return node.hasNonNull(k);
    }

    /** The value of {@code k} when it is a plain string (a short form), else null. */
    public String text(String k) {
        JsonNode v = node.get(k);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** An empty mapping standing at {@code k} (every value its default), for a key written in a short form. */
    ConfigNode empty(String k) {
        return new ConfigNode(file, origin, labels, key(k), null);
    }

    public ConfigNode child(String k) {
        return new ConfigNode(file, origin, labels, key(k), node.get(k));
    }

    public String string(String k, String fallback) {
        JsonNode v = node.get(k);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw error(k, "missing");
            }
            return fallback;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw error(k, "must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    /**
     * A path or URI (file:, hdfs://, s3a://...) as an absolute location, a relative path taken from
     * the config file's folder; syntax only, nothing is opened here.
     */
    public String location(String k) {
        return resolve(key(k), string(k, null));
    }

    /** A location on local disk (training reads and writes local files only), as a path. */
    public java.nio.file.Path localPath(String k) {
        String resolved = location(k);
        if (!dev.evomerge.io.Storage.isLocal(resolved)) {
            throw error(k, "'" + string(k, null) + "' must be on local disk");
        }
        return dev.evomerge.io.Storage.localPath(resolved);
    }

    private String resolve(String fullKey, String written) {
        String resolved;
        try {
            if (Locations.hasScheme(written)) {
                new java.net.URI(written); // a URI as written: "s3a://<bucket>/m" is a placeholder left in
            }
            resolved = Locations.resolve(origin, written);
        } catch (java.net.URISyntaxException e) {
            throw new RunConfigException(file, fullKey, "'" + written + "' is not a valid location: " + e.getReason()
                    + " at index " + e.getIndex());
        } catch (IllegalArgumentException e) {
            throw new RunConfigException(file, fullKey, "'" + written + "' is not a valid location: " + e.getMessage());
        }
        labels.putIfAbsent(resolved, written);
        return resolved;
    }

    /**
     * A list of models, each a location (resolved) or an inline mergekit recipe (its locations
     * resolved the same way): a data-flow merge's pool.
     */
    List<dev.evomerge.merge.Recipe> recipes(String k) {
        JsonNode v = nonEmptyList(k);
        List<dev.evomerge.merge.Recipe> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            String at = key(k) + "[" + i + "]";
            JsonNode item = v.get(i);
            if (item.isTextual() && !item.asText().isBlank()) {
                out.add(new dev.evomerge.merge.AsIs(resolve(at, item.asText())));
            } else if (item.isObject()) {
                out.add(dev.evomerge.merge.MergeConfig.parse(file + " " + at, item).withLocations(l -> resolve(at, l)));
            } else {
                throw new RunConfigException(file, at, "must be a location or a mergekit recipe (a mapping), got " + item);
            }
        }
        return out;
    }

    /** The text a resolved location was written as. */
    String written(String location) {
        return labels.getOrDefault(location, location);
    }

    /** Each resolved location of this config and the text it was written as. */
    Map<String, String> labels() {
        return Map.copyOf(labels);
    }

    public String optionalString(String k) {
        return has(k) ? string(k, null) : null;
    }

    public int integer(String k, int fallback, int min) {
        JsonNode v = node.get(k);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min) {
            throw error(k, "must be an integer >= " + min + ", got " + v);
        }
        return v.intValue();
    }

    public long longValue(String k, long fallback) {
        JsonNode v = node.get(k);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw error(k, "must be an integer, got " + v);
        }
        return v.longValue();
    }

    /** A finite number in [min, max]. */
    public double number(String k, double fallback, double min, double max) {
        JsonNode v = node.get(k);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue()) || v.doubleValue() < min || v.doubleValue() > max) {
            throw error(k, "must be a finite number in [" + min + ", " + max + "], got " + v);
        }
        return v.doubleValue();
    }

    boolean bool(String k, boolean fallback) {
        JsonNode v = node.get(k);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw error(k, "must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    /** A non-empty list of non-empty strings. */
    public List<String> strings(String k) {
        JsonNode v = nonEmptyList(k);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual() || v.get(i).asText().isBlank()) {
                throw error(k + "[" + i + "]", "must be a non-empty string, got " + v.get(i));
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    /** A non-empty list of locations, each resolved as {@link #location} does. */
    List<String> locations(String k) {
        JsonNode v = nonEmptyList(k);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual() || v.get(i).asText().isBlank()) {
                throw new RunConfigException(file, key(k) + "[" + i + "]", "must be a non-empty string, got " + v.get(i));
            }
            out.add(resolve(key(k) + "[" + i + "]", v.get(i).asText()));
        }
        return out;
    }

    /** A list of [int, int] pairs (layer pairs, say), each number at least {@code min}. */
    public List<int[]> intPairs(String k, int min) {
        JsonNode v = node.get(k);
        if (v == null || !v.isArray() || v.isEmpty()) {
            throw error(k, "must be a non-empty list of [a, b] pairs");
        }
        List<int[]> out = new java.util.ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode p = v.get(i);
            if (!p.isArray() || p.size() != 2 || !p.get(0).canConvertToInt() || !p.get(1).canConvertToInt()
                    || !p.get(0).isIntegralNumber() || !p.get(1).isIntegralNumber() || p.get(0).asInt() < min || p.get(1).asInt() < min) {
                throw new RunConfigException(file, key(k) + "[" + i + "]", "must be a pair of integers >= " + min + ", got " + p);
            }
            out.add(new int[] {p.get(0).asInt(), p.get(1).asInt()});
        }
        return out;
    }

    public List<ConfigNode> mappings(String k) {
        JsonNode v = nonEmptyList(k);
        List<ConfigNode> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            out.add(new ConfigNode(file, origin, labels, key(k) + "[" + i + "]", v.get(i)));
        }
        return out;
    }

    private JsonNode nonEmptyList(String k) {
        JsonNode v = node.get(k);
        if (v == null || !v.isArray() || v.isEmpty()) {
            throw error(k, "must be a non-empty list");
        }
        return v;
    }

    /** A flat mapping of names to scalar values, as strings (Spark settings). */
    Map<String, String> stringMap(String k) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode v = node.get(k);
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            throw error(k, "must be a mapping of names to values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new RunConfigException(file, key(k) + "." + e.getKey(), "must be a scalar value");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }
}
