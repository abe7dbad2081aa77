package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A parameter as mergekit writes it: a number; a list of numbers, a gradient interpolated over
 * the depth of the model; or a list of {@code {filter, value}} entries, the first whose filter is
 * part of the tensor's name applying (an entry without a filter applies to every tensor).
 */
public sealed interface ParameterValue extends java.io.Serializable {

    /** The number for a tensor at relative depth {@code t} in [0, 1]. Null when no filter entry matches. */
    Double resolve(String tensorName, double t);

    /** Appends " value\n" (a scalar or a flow list) or "\n" then block entries at {@code indent}: YAML that parses back to this. */
    void appendYaml(StringBuilder y, String indent);

    record Constant(double value) implements ParameterValue {
        @Override
        public Double resolve(String tensorName, double t) {
            return value;
        }

        @Override
        public void appendYaml(StringBuilder y, String indent) {
            y.append(' ').append(YamlText.number(value)).append('\n');
        }
    }

    /** Values spread evenly over depth [0, 1], linearly interpolated in between (numpy.interp). */
    record Gradient(double[] values) implements ParameterValue {
        @Override
        public void appendYaml(StringBuilder y, String indent) {
            y.append(" [");
            for (int i = 0; i < values.length; i++) {
                y.append(i > 0 ? ", " : "").append(YamlText.number(values[i]));
            }
            y.append("]\n");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Gradient g && java.util.Arrays.equals(values, g.values);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Gradient" + java.util.Arrays.toString(values);
        }

        @Override
        public Double resolve(String tensorName, double t) {
            if (values.length == 1) {
                return values[0];
            }
            double pos = Math.max(0, Math.min(1, t)) * (values.length - 1);
            int i = (int) Math.floor(pos);
            if (i >= values.length - 1) {
                return values[values.length - 1];
            }
            double frac = pos - i;
            return values[i] + frac * (values[i + 1] - values[i]);
        }
    }

    record Filtered(List<String> filters, List<ParameterValue> values) implements ParameterValue {
        @Override
        public void appendYaml(StringBuilder y, String indent) {
            y.append('\n');
            for (int i = 0; i < filters.size(); i++) {
                y.append(indent).append("- {");
                if (filters.get(i) != null) {
                    y.append("filter: ").append(YamlText.quote(filters.get(i))).append(", ");
                }
                y.append("value:");
                StringBuilder value = new StringBuilder();
                values.get(i).appendYaml(value, indent + "  ");
                if (values.get(i) instanceof Filtered) {
                    throw new IllegalStateException("a filter entry's value is a number or a gradient");
                }
                y.append(value.toString().stripTrailing()).append("}\n");
            }
        }

        @Override
        public Double resolve(String tensorName, double t) {
            for (int i = 0; i < filters.size(); i++) {
                String f = filters.get(i);
                if (f == null || tensorName.contains(f)) {
                    return values.get(i).resolve(tensorName, t);
                }
            }
            return null;
        }
    }

    /** Parses one parameter's YAML node; {@code where} names file and key for errors. */
    static ParameterValue parse(JsonNode node, String file, String key) {
        if (node.isNumber() || node.isBoolean()) {
            double v = node.isBoolean() ? (node.booleanValue() ? 1 : 0) : node.doubleValue();
            return new Constant(finite(v, file, key));
        }
        if (node.isArray() && node.size() > 0 && node.get(0).isObject()) {
            List<String> filters = new ArrayList<>();
            List<ParameterValue> values = new ArrayList<>();
            for (JsonNode entry : node) {
                if (!entry.has("value")) {
                    throw new MergeConfigException(file, key, "a filter entry needs a 'value'");
                }
                filters.add(entry.hasNonNull("filter") ? entry.get("filter").asText() : null);
                values.add(parse(entry.get("value"), file, key));
            }
            return new Filtered(filters, values);
        }
        if (node.isArray() && node.size() > 0) {
            double[] values = new double[node.size()];
            for (int i = 0; i < values.length; i++) {
                if (!node.get(i).isNumber()) {
                    throw new MergeConfigException(file, key, "gradient entry " + node.get(i) + " is not a number");
                }
                values[i] = finite(node.get(i).doubleValue(), file, key);
            }
            return new Gradient(values);
        }
        throw new MergeConfigException(file, key, node + " is not a number, a list of numbers or a list of {filter, value}");
    }

    private static double finite(double v, String file, String key) {
        if (!Double.isFinite(v)) {
            throw new MergeConfigException(file, key, "value " + v + " is not a finite number");
        }
        return v;
    }
}
