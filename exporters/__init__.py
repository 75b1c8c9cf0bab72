"""Exporters: write answers back into the customer's original file. No Flask, no database."""
