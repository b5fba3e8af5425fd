"""The application layer: command line, image preprocessing, plots and the web demo.

This layer may use Pillow, matplotlib and the web libraries; the engine (`barenet.nn`) may not.
"""
