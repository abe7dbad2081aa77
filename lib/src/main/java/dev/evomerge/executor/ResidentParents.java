package dev.evomerge.executor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.model.DeviceTensors;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parents' tensors on an executor's device, for candidates built there: each loaded the first
 * time a candidate needs it and kept for the whole run (float16 on a GPU), up to a byte budget.
 * A tensor beyond the budget is spilled: uploaded from the mapped file for each candidate that
 * needs it and freed after, so a card too small for every parent still builds candidates, paying
 * the host-to-device copy of the spilled part each time. First come, first kept: a run's
 * candidates ask in the model's tensor order, so the layers past the budget are the spilled ones.
 */
final class ResidentParents implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ResidentParents.class.getName());

    private final NDManager manager;
    private final DataType dtype;
    private final long budget;
    private final Map<String, NDArray> resident = new HashMap<>();
    private final Set<String> spilled = new HashSet<>();
    private long residentBytes;
    private long spilledBytes;
    private boolean saidSpill;

    /** Parents kept on {@code device} as {@code dtype} (FLOAT16 or FLOAT32), at most {@code budget} bytes of them. */
    ResidentParents(Device device, DataType dtype, long budget) {
        this.manager = NDManager.newBaseManager(device);
        this.dtype = dtype;
        this.budget = budget;
    }

    /**
     * What an executor may keep of its parents on {@code device}: {@link ExecutorSettings#parentRoom}
     * of the memory given (or, on a GPU, the card's). Unbounded on a CPU given no memory.
     */
    static long budget(ExecutorSettings settings, Device device, long parameters, long largestTensor, int inputs) {
        long memory;
        if (settings.deviceMemoryGb() > 0) {
            memory = (long) (settings.deviceMemoryGb() * 1e9);
        } else if (device.isGpu()) {
            memory = ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getMax();
        } else {
            return Long.MAX_VALUE;
        }
        return Math.max(0, settings.parentRoom(memory, parameters, device.isGpu() ? 2 : 4, largestTensor, inputs));
    }

    /** The source's tensor as float32 on {@code scratch}'s device, attached to {@code scratch}. */
    NDArray get(MergePlan.Source source, NDManager scratch) {
        NDArray kept = keep(source);
        if (kept == null) {
            return DeviceTensors.load(scratch, source.checkpoint(), source.tensor(), dtype).toType(DataType.FLOAT32, false);
        }
        // A copy the merge may change in place: toType(FLOAT32, true) of a float32 array is the same storage (torch's
        // .to() returns its input when nothing changes), so a float32 resident is cloned. Made on the resident
        // manager, then moved to the scratch.
        NDArray copy = kept.getDataType() == DataType.FLOAT32 ? kept.duplicate() : kept.toType(DataType.FLOAT32, false);
        copy.attach(scratch);
        return copy;
    }

    /** The resident copy of the source's tensor, loaded now if it fits; null when it is spilled. */
    private synchronized NDArray keep(MergePlan.Source source) {
        String key = source.location() + '\0' + source.tensor();
        NDArray kept = resident.get(key);
        if (kept != null || spilled.contains(key)) {
            return kept;
        }
        long bytes = source.checkpoint().tensor(source.tensor()).numel() * dtype.getNumOfBytes();
        if (residentBytes + bytes > budget) {
            spilled.add(key);
            spilledBytes += bytes;
            if (!saidSpill) {
                saidSpill = true;
                LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "resident parents: budget of %.2f GiB reached at %s of %s; the rest is uploaded "
                        + "for each candidate", budget / 1073741824.0, source.tensor(), source.location()));
            }
            return null;
        }
        kept = DeviceTensors.load(manager, source.checkpoint(), source.tensor(), dtype);
        resident.put(key, kept);
        residentBytes += bytes;
        return kept;
    }

    synchronized long residentBytes() {
        return residentBytes;
    }

    synchronized long spilledBytes() {
        return spilledBytes;
    }

    @Override
    public synchronized void close() {
        resident.clear();
        manager.close();
    }
}
