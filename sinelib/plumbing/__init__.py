"""What the core stands on and a learner need not open: argument checks at the door
(``arguments``), TensorFlow's quiet import (``backend``), atomic files (``storage``), the run
folder and its checkpoint (``runs``), training histories (``history``), the shipped weights
(``pretrained``), how the training step runs (``steps``), the progress bar (``progress``) and
tables as text (``tables``)."""
