"""UserProfile -> FilesystemPolicy, procedurally (paper 2.2.1).

Decides where things live: the drive layout, the default folders, the work root the
organization style grows under, and the computer's time axis.
"""

from __future__ import annotations

from datetime import timedelta

from synthcomp import ospath
from synthcomp.brains.procedural.profile import simulated_now
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.models import Drive, FilesystemPolicy, OSName, UserProfile

_NAMING_TEXT = {
    "_": "words joined by underscores", " ": "words separated by spaces", "-": "words joined by hyphens",
}
_DATE_TEXT = {
    "iso": "ISO dates (2025-03-14)", "us": "US dates (03-14-2025)", "compact": "compact dates (20250314)",
    "none": "no dates in names",
}


def build_policy(profile: UserProfile, os_name: OSName, seed: int) -> FilesystemPolicy:
    rng = rng_for(seed, "policy")
    now = simulated_now(seed)
    start = now - timedelta(days=365 * rng.randint(2, 5) + rng.randint(0, 200))
    org_short = "".join(w for w in profile.organization.split()[:2] if w.isalnum()) or "Work"
    if os_name == "windows":
        home = ospath.join("windows", "C:\\Users", profile.username)
        onedrive = ospath.join("windows", home, f"OneDrive - {profile.organization}")
        drives = [Drive(name="C", label="Local Disk", role="system, programs and the user profile")]
        has_data_drive = rng.random() < 0.6
        if has_data_drive:
            drives.append(Drive(name="D", label=rng.choice(["Data", "Work", "DATA"]), role="project data"))
        roots = [ospath.join("windows", home, "Documents", "Projects"), ospath.join("windows", onedrive, "Projects")]
        if has_data_drive:
            roots += [f"D:\\{rng.choice(['Projects', 'Work', org_short])}"] * 3
        default_paths = {
            "documents": ospath.join("windows", home, "Documents"),
            "desktop": ospath.join("windows", home, "Desktop"),
            "downloads": ospath.join("windows", home, "Downloads"),
            "pictures": ospath.join("windows", home, "Pictures"),
            "screenshots": ospath.join("windows", home, "Pictures", "Screenshots"),
            "onedrive": onedrive,
            "trash": "C:\\$Recycle.Bin",
        }
    else:
        home = f"/Users/{profile.username}"
        drives = [Drive(name="/", label="Macintosh HD", role="system and the user's home")]
        roots = [f"{home}/Documents/Projects", f"{home}/Documents/{org_short}", f"{home}/Work", f"{home}/Documents/Work"]
        default_paths = {
            "documents": f"{home}/Documents", "desktop": f"{home}/Desktop", "downloads": f"{home}/Downloads",
            "pictures": f"{home}/Pictures", "screenshots": f"{home}/Desktop", "trash": f"{home}/.Trash",
        }
    work_root = rng.choice(roots)
    naming = profile.naming
    return FilesystemPolicy(
        os=os_name, start_time=start.replace(hour=8, minute=30), now=now, drives=drives, home=home,
        default_paths=default_paths, work_root=work_root, organization_style=profile.organization_style,
        naming_style=(
            f"{_NAMING_TEXT[naming.separator]}, {_DATE_TEXT[naming.date_style]}, versions marked "
            f"'{naming.version_style.strip()}'" + (f", initials {profile.initials} on own drafts" if naming.uses_initials else "")
        ),
        storage_patterns=[
            f"project work under {work_root}, organized {profile.organization_style.replace('_', ' ')}",
            {"downloads": "attachments stay in Downloads", "project_folder": "attachments are filed into project folders",
             "desktop": "attachments are saved to the Desktop"}[profile.attachment_saving],
            "screenshots land in " + default_paths["screenshots"],
        ],
        usage_patterns=[
            f"{profile.computer_usage} computer use, {profile.spreadsheet_usage} spreadsheet use",
            profile.document_habits,
            "tidy: old drafts archived" if profile.tidiness > 0.6 else "untidy: duplicates and stale downloads accumulate",
        ],
    )
