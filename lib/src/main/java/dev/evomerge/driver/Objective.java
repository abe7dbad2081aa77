package dev.evomerge.driver;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One objective of a multi-objective run ({@code objectives:} in the run config): a task metric
 * of the fitness set ({@code mgsm_ja.accuracy}, {@code mgsm_en.loss}) or a property of the
 * candidate ({@code depth}: the layers a forward runs through; {@code parameters}: the weights it
 * holds), with its direction. Values are kept in their own units (nats, accuracy, layers); the
 * optimizer is told them in its direction (higher is better) by {@link #told}.
 */
public record Objective(String name, String metric, String property, boolean maximize) implements Serializable {

    /** The candidate properties an objective can read. */
    public static final List<String> PROPERTIES = List.of("depth", "parameters");

    /** Loss, depth and parameters are minimized; accuracy and the VQA score are maximized. */
    public static boolean defaultMaximize(String metricOrProperty) {
        return metricOrProperty.endsWith(".accuracy") || metricOrProperty.endsWith(".rougeL");
    }

    /** This objective's value for a candidate with these task metrics and properties (NaN when it has none: it failed). */
    public double value(Map<String, Double> metrics, Map<String, Double> properties) {
        Double v = metric != null ? metrics.get(metric) : properties.get(property);
        return v == null ? Double.NaN : v;
    }

    /** The value as the optimizer is told it: higher is better. */
    public double told(double value) {
        return maximize ? value : -value;
    }

    /** "minimize" or "maximize", as the config writes it. */
    public String direction() {
        return maximize ? "maximize" : "minimize";
    }

    /** What it reads: the metric's column name or the property's. */
    public String source() {
        return metric != null ? metric : property;
    }
}
