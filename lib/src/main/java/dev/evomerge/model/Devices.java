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

    /** The device chosen and why, in one line for an executor's log. */
    public record Choice(Device device, String why) {
        /** The weights' and activations' type on this device: FLOAT16 on a GPU, FLOAT32 on a CPU. */
        public String line() {
            return "evomerge executor: device " + device + " (" + why + "), weights and activations in "
                    + (device.isGpu() ? "float16, normalization statistics and softmax in float32" : "float32");
        }
    }

    private static boolean logged;

    /**
     * The device for {@code name} with the reason, logged once per JVM (an executor): "auto" takes
     * a GPU when the engine sees one, else falls back to the CPU and says so; "gpu" or "gpu:N"
     * where the engine sees no such GPU is refused in one line (not silently run on the CPU).
     */
    public static Choice choose(String name) {
        int gpus = Engine.getInstance().getGpuCount();
        String requested = name == null ? "auto" : name;
        Device device = parse(requested);
        if (device.isGpu() && device.getDeviceId() >= gpus) {
            throw new IllegalArgumentException("device " + requested + ": the PyTorch engine sees " + gpus + " GPU(s) on this "
                    + "executor; check the executor's GPU scheduling (spark.executor.resource.gpu.amount) and CUDA natives");
        }
        String why = requested.equals("auto")
                ? (gpus > 0 ? "auto: " + gpus + " GPU(s) seen" : "auto: no GPU seen by the PyTorch engine, falling back to the CPU")
                : "as configured";
        Choice choice = new Choice(device, why);
        synchronized (Devices.class) {
            if (!logged) {
                logged = true;
                System.getLogger(Devices.class.getName()).log(System.Logger.Level.INFO, choice.line());
            }
        }
        return choice;
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
