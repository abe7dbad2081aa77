package dev.evomerge.io;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * Recognizes pickled PyTorch checkpoints, which evomerge refuses: unpickling runs arbitrary
 * code from the file. Weight files of other frameworks are recognized too, so a remote
 * checkpoint directory is localized without them.
 */
public final class PickleGuard {
    private PickleGuard() {
    }

    public static boolean isPickle(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt")
                || n.endsWith(".pkl") || n.endsWith(".pickle");
    }

    /** Weights evomerge never reads: pickles, and TensorFlow/Flax/ONNX/GGUF exports. */
    public static boolean isForeignWeights(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return isPickle(n) || n.endsWith(".h5") || n.endsWith(".msgpack") || n.endsWith(".onnx") || n.endsWith(".gguf");
    }

    public static CheckpointException refusal(String location, String pickleName) {
        return new CheckpointException(location, "'" + pickleName + "' is a pickled PyTorch checkpoint, which evomerge "
                + "never loads (unpickling runs code); convert it to safetensors first, e.g. "
                + "model.save_pretrained(dir, safe_serialization=True) in transformers");
    }

    /** Throws the refusal when {@code fileNames} hold a pickle but no safetensors file. */
    public static void refuseIfOnlyPickles(String location, Collection<String> fileNames) {
        boolean hasSafetensors = fileNames.stream().anyMatch(n -> n.endsWith(".safetensors"));
        Optional<String> pickle = fileNames.stream().filter(PickleGuard::isPickle).sorted().findFirst();
        if (!hasSafetensors && pickle.isPresent()) {
            throw refusal(location, pickle.get());
        }
    }
}
