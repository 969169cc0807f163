"""Speech recognizers behind one interface (base.py), one file per engine; factory.py maps names to them."""
