package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One crafted corrupt file per rule of the format; each error names the file, the tensor and the rule. */
class SafetensorsValidationTest {
    @TempDir
    Path tmp;

    private static final byte[] EIGHT = new byte[8];

    private String failure(Path file) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private Path craft(String header, byte[] data) throws IOException {
        return SafetensorsTestFiles.craft(tmp.resolve("bad.safetensors"), header, data);
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path f = Files.write(tmp.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertTrue(failure(f).contains("shorter than the 8-byte header length"));
    }

    @Test
    void headerLengthZeroOrAbsurd() throws IOException {
        assertTrue(failure(SafetensorsTestFiles.craft(tmp.resolve("zero.safetensors"), 0, "", EIGHT))
                .contains("header length 0 is not sane"));
        assertTrue(failure(SafetensorsTestFiles.craft(tmp.resolve("huge.safetensors"), 1L << 40, "{}", EIGHT))
                .contains("is not sane"));
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws IOException {
        Path f = SafetensorsTestFiles.craft(tmp.resolve("past.safetensors"), 500, "{}", EIGHT);
        assertTrue(failure(f).contains("header length 500 runs past the end"));
    }

    @Test
    void headerThatIsNotJson() throws IOException {
        assertTrue(failure(craft("{\"a\": {\"dtype\": \"F32\",", EIGHT)).contains("header is not valid JSON"));
        assertTrue(failure(craft("[1, 2]", EIGHT)).contains("header is not a JSON object"));
        assertTrue(failure(craft("{} {}", EIGHT)).contains("content after the closing brace"));
    }

    @Test
    void unknownDtype() throws IOException {
        String msg = failure(craft("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", EIGHT));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("unknown dtype 'F8_E4M3'"), msg);
    }

    @Test
    void missingShapeOrOffsets() throws IOException {
        assertTrue(failure(craft("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", EIGHT))
                .contains("tensor 'w': missing or non-array shape"));
        assertTrue(failure(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", EIGHT))
                .contains("tensor 'w': data_offsets must have 2 entries"));
        assertTrue(failure(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", EIGHT))
                .contains("tensor 'w': shape entry -2 is not a non-negative integer"));
    }

    @Test
    void shapeTimesDtypeMustEqualTheByteRange() throws IOException {
        String msg = failure(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", EIGHT));
        assertTrue(msg.contains("tensor 'w': shape [3] x F32 is 12 bytes but data_offsets span 8"), msg);
    }

    @Test
    void rangesMustLieInsideTheDataSection() throws IOException {
        String msg = failure(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", EIGHT));
        assertTrue(msg.contains("tensor 'w': data_offsets [0, 16] outside the data section of 8 bytes"), msg);
        msg = failure(craft("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[6,2]}}", EIGHT));
        assertTrue(msg.contains("tensor 'w': data_offsets [6, 2] end before begin"), msg);
    }

    @Test
    void rangesMustNotOverlap() throws IOException {
        String msg = failure(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", EIGHT));
        assertTrue(msg.contains("tensor 'b': data_offsets overlap tensor 'a'"), msg);
    }

    @Test
    void namesMustBeUnique() throws IOException {
        String msg = failure(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", EIGHT));
        assertTrue(msg.contains("tensor 'a': duplicate name in header"), msg);
        msg = failure(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[2],\"data_offsets\":[0,4]}}", EIGHT));
        assertTrue(msg.contains("tensor 'a': duplicate key 'shape'"), msg);
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        assertTrue(failure(craft("{\"__metadata__\":{\"format\":1}}", EIGHT))
                .contains("__metadata__ key 'format' must be a string"));
    }

    @Test
    void aValidCraftedFileOpens() throws IOException {
        Path f = craft("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ",
                SafetensorsTestFiles.floatsLE(1.5f, -2f));
        try (SafetensorsFile file = SafetensorsFile.open(f)) {
            assertEquals(-2f, file.floats("w")[1]);
        }
    }
}
