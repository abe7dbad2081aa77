package dev.evomerge.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed, validated header of a safetensors file
 * (<a href="https://github.com/huggingface/safetensors">format</a>): an 8-byte little-endian
 * header length N, N bytes of JSON, then the data section. Every rule of the format is checked
 * here, before any tensor is touched, and each violation is one line naming file, tensor and rule.
 */
public final class SafetensorsHeader {
    /** The safetensors library refuses headers over 100 MB; a 7B model's is about 30 KB. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper(
            JsonFactory.builder().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final long dataStart;

    private SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata, long dataStart) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.dataStart = dataStart;
    }

    /** Tensors in header order, by name. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The optional {@code __metadata__} string map. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Absolute file offset of the data section: 8 + header length. */
    public long dataStart() {
        return dataStart;
    }

    public static void checkFileSize(String file, long fileSize) {
        if (fileSize < 8) {
            throw new CheckpointException(file, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
        }
    }

    /** Checks that the 8-byte length prefix is plausible for a file of {@code fileSize} bytes. */
    public static long checkHeaderLength(String file, long headerLength, long fileSize) {
        checkFileSize(file, fileSize);
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(file, "header length " + headerLength
                    + " is not sane (must be 1.." + MAX_HEADER_BYTES + ")");
        }
        if (8 + headerLength > fileSize) {
            throw new CheckpointException(file, "header length " + headerLength
                    + " runs past the end of the " + fileSize + "-byte file");
        }
        return headerLength;
    }

    /** Parses and validates the JSON header; {@code fileSize} bounds the data section. */
    public static SafetensorsHeader parse(String file, byte[] headerJson, long fileSize) {
        long dataStart = 8L + headerJson.length;
        long dataSize = fileSize - dataStart;
        Map<String, JsonNode> entries = readTopLevel(file, headerJson);

        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                metadata = readMetadata(file, e.getValue());
            } else {
                tensors.put(e.getKey(), readTensor(file, e.getKey(), e.getValue(), dataSize));
            }
        }
        checkNoOverlap(file, tensors.values());
        return new SafetensorsHeader(tensors, metadata, dataStart);
    }

    /**
     * Reads the top-level object field by field. Jackson's strict duplicate detection catches a
     * repeated key at any depth; the parser's context then tells a repeated tensor name from a
     * repeated key inside one tensor's entry.
     */
    private static Map<String, JsonNode> readTopLevel(String file, byte[] headerJson) {
        Map<String, JsonNode> entries = new LinkedHashMap<>();
        String entry = null;
        JsonParser p;
        try {
            p = JSON.getFactory().createParser(headerJson);
        } catch (IOException e) {
            throw new CheckpointException(file, "header could not be read: " + e.getMessage());
        }
        try (p) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new CheckpointException(file, "header is not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t == null) {
                    throw new CheckpointException(file, "header is not valid JSON: unexpected end of header");
                }
                entry = p.currentName();
                p.nextToken();
                entries.put(entry, JSON.readTree(p));
            }
            if (p.nextToken() != null) {
                throw new CheckpointException(file, "header is not valid JSON: content after the closing brace");
            }
        } catch (JsonProcessingException e) {
            if (e.getOriginalMessage().startsWith("Duplicate field")) {
                JsonStreamContext ctx = p.getParsingContext();
                if (ctx.getParent() != null && ctx.getParent().inRoot()) {
                    throw new CheckpointException(file, "tensor '" + ctx.getCurrentName() + "': duplicate name in header");
                }
                throw new CheckpointException(file, "tensor '" + entry + "': duplicate key '" + ctx.getCurrentName() + "'");
            }
            throw new CheckpointException(file, "header is not valid JSON: " + e.getOriginalMessage().replace('\n', ' '));
        } catch (IOException e) {
            throw new CheckpointException(file, "header could not be read: " + e.getMessage());
        }
        return entries;
    }

    private static Map<String, String> readMetadata(String file, JsonNode node) {
        if (!node.isObject()) {
            throw new CheckpointException(file, "__metadata__ must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> m : (Iterable<Map.Entry<String, JsonNode>>) node::fields) {
            if (!m.getValue().isTextual()) {
                throw new CheckpointException(file, "__metadata__ key '" + m.getKey() + "' must be a string");
            }
            metadata.put(m.getKey(), m.getValue().textValue());
        }
        return metadata;
    }

    private static TensorInfo readTensor(String file, String name, JsonNode node, long dataSize) {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) {
            throw new CheckpointException(file, where + "entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new CheckpointException(file, where + "missing or non-string dtype");
        }
        DType dtype = DType.fromHeaderName(dtypeNode.textValue());
        if (dtype == null) {
            throw new CheckpointException(file, where + "unknown dtype '" + dtypeNode.textValue() + "'");
        }
        long[] shape = readLongs(file, where, node.get("shape"), "shape", -1);
        long[] offsets = readLongs(file, where, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new CheckpointException(file, where + "data_offsets [" + begin + ", " + end + "] end before begin");
        }
        if (end > dataSize) {
            throw new CheckpointException(file, where + "data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataSize + " bytes");
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorInfo.numel(shape), (long) dtype.size());
        } catch (ArithmeticException e) {
            throw new CheckpointException(file, where + "shape overflows a 64-bit byte count");
        }
        if (expected != end - begin) {
            throw new CheckpointException(file, where + "shape " + java.util.Arrays.toString(shape) + " x " + dtype
                    + " is " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] readLongs(String file, String where, JsonNode node, String field, int requiredLength) {
        if (node == null || !node.isArray()) {
            throw new CheckpointException(file, where + "missing or non-array " + field);
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw new CheckpointException(file, where + field + " must have " + requiredLength + " entries");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new CheckpointException(file, where + field + " entry " + v + " is not a non-negative integer");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void checkNoOverlap(String file, java.util.Collection<TensorInfo> tensors) {
        List<TensorInfo> byBegin = new ArrayList<>(tensors);
        byBegin.removeIf(t -> t.begin() == t.end()); // empty tensors occupy no bytes
        byBegin.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < byBegin.size(); i++) {
            TensorInfo prev = byBegin.get(i - 1);
            TensorInfo cur = byBegin.get(i);
            if (cur.begin() < prev.end()) {
                throw new CheckpointException(file, "tensor '" + cur.name() + "': data_offsets overlap tensor '"
                        + prev.name() + "'");
            }
        }
    }

    /** Serializes a header for {@code tensors} laid out in order, padded with spaces to a multiple of 8. */
    public static byte[] encode(List<TensorSpec> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long offset = 0;
        for (TensorSpec t : tensors) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().name());
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, offset + t.byteSize()});
            if (header.put(t.name(), entry) != null) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' listed twice");
            }
            offset += t.byteSize();
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = java.util.Arrays.copyOf(json, padded);
        java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }
}
