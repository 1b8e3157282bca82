"""Background work: the inbox processor, the delivery worker, the tick and its lease."""
