"""From retrieved passages to an answer or an abstention: one pipeline (``pipeline``), whose
decision to answer is the reader's own calibrated probability (``judge``)."""
