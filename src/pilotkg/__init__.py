"""pilotkg: a linked-data knowledge graph of China\x27s national AI pilot programmes."""
