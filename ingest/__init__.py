"""Turn report files into cleaned documents and structure-aware chunks."""
