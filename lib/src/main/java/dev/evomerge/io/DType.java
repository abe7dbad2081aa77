package dev.evomerge.io;

import java.util.Locale;

/** The element types a safetensors file may hold, with their spec names and sizes in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int size;

    DType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The dtype named as in the safetensors header, or null when the name is not one of the spec's. */
    public static DType fromHeaderName(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * The dtype for a Hugging Face / mergekit {@code dtype} or {@code torch_dtype} string
     * ("float32", "bfloat16", "float16", "fp16", "bf16").
     */
    public static DType fromTorchName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "float" -> F32;
            case "float16", "fp16", "half" -> F16;
            case "bfloat16", "bf16" -> BF16;
            case "float64", "double" -> F64;
            default -> throw new IllegalArgumentException(
                    "unknown dtype '" + name + "' (expected float32, float16 or bfloat16)");
        };
    }

    /** The name Hugging Face writes into config.json's {@code torch_dtype}. */
    public String torchName() {
        return switch (this) {
            case F64 -> "float64";
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case I64 -> "int64";
            case I32 -> "int32";
            case I16 -> "int16";
            case I8 -> "int8";
            case U8 -> "uint8";
            case BOOL -> "bool";
        };
    }
}
