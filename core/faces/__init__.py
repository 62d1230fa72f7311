"""Faces: landmarks, heatmaps, regions, alignment, video analysis, landmark transformer."""
