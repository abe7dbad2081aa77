package dev.evomerge.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** The device a model runs on: a GPU when the engine sees one, else the CPU; overridable by name. */
public final class Devices {
    static {
        Djl.init(); // offline before DJL's engine loads
    }

    private Devices() {
    }

    /** "auto" (default), "cpu", "gpu" or "gpu:N". */
    public static Device parse(String name) {
        return switch (name == null ? "auto" : name) {
            case "auto" -> Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            case "gpu" -> Device.gpu();
            default -> {
                if (name.startsWith("gpu:")) {
                    yield Device.gpu(Integer.parseInt(name.substring(4)));
                }
                throw new IllegalArgumentException("unknown device '" + name + "' (auto, cpu, gpu, gpu:N)");
            }
        };
    }
}
