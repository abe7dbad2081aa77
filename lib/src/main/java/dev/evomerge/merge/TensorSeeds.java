package dev.evomerge.merge;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The seed of one tensor's randomness (DARE, DELLA): a hash of the recipe's seed and the tensor's
 * name, so the same recipe gives bit-identical weights on any executor, in any order.
 */
public final class TensorSeeds {
    private TensorSeeds() {
    }

    public static long of(long recipeSeed, String tensorName) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Long.toString(recipeSeed).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            byte[] d = sha.digest(tensorName.getBytes(StandardCharsets.UTF_8));
            long s = 0;
            for (int i = 0; i < 8; i++) {
                s = (s << 8) | (d[i] & 0xff);
            }
            return s;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
