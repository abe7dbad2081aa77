package dev.evomerge.executor;

/** A candidate that cannot be built or evaluated: it gets the worst fitness and this message, and the run goes on. */
public class CandidateException extends RuntimeException {
    public CandidateException(String message) {
        super(message);
    }
}
