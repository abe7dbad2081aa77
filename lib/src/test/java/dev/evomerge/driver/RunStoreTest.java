package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RunStoreTest {
    @Test
    void generationFilesAreNamedAndReadBackOneWay() {
        assertEquals("generation-00003.parquet", RunStore.generationFile(3, "parquet"));
        assertEquals(OptionalInt.of(3), RunStore.generationOf("generation-00003.parquet", "parquet"));
        assertEquals(OptionalInt.of(123456), RunStore.generationOf(RunStore.generationFile(123456, "json"), "json"));
        assertTrue(RunStore.generationOf("generation-00003.json", "parquet").isEmpty());
        assertTrue(RunStore.generationOf("_tmp-generation-00003.parquet", "parquet").isEmpty());
        assertTrue(RunStore.generationOf("generation-00003xparquet", "parquet").isEmpty());
    }
}
