package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

/** The device choice on this machine (no GPU): auto falls back to the CPU and says why; a GPU that is not there is refused. */
class DevicesTest {
    @Test
    void autoFallsBackToTheCpuWithTheReasonAndAMissingGpuIsRefused() {
        Devices.Choice auto = Devices.choose("auto");
        if (Engine.getInstance().getGpuCount() > 0) {
            assertTrue(auto.device().isGpu());
            return; // a machine with a GPU: nothing to fall back from
        }
        assertFalse(auto.device().isGpu());
        assertEquals("auto: no GPU seen by the PyTorch engine, falling back to the CPU", auto.why());
        assertTrue(auto.line().endsWith("weights and activations in float32"), auto.line());
        assertEquals("as configured", Devices.choose("cpu").why());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.choose("gpu:1"));
        assertTrue(e.getMessage().startsWith("device gpu:1: the PyTorch engine sees 0 GPU(s) on this executor"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Devices.choose("tpu"));
    }
}
