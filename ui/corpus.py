"""The corpus: what is indexed, with inferred metadata; add reports by upload; remove them."""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from assistant import HmiqaError, uploads
from assistant.vocabulary import SUPPORTED, described_file_types
from assistant.feedback import FeedbackStore

UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED)


def check_upload(name: str, size: int, max_mb: int) -> str | None:
    """Why an upload is refused, or None when it may be ingested."""
    try:
        uploads.check_upload(name, size, max_mb)
    except uploads.UploadRejected as e:
        return str(e)
    return None


def _add(assistant, files) -> None:
    bar = st.progress(0.0, text="Adding reports…")
    for n, f in enumerate(files, start=1):
        bar.progress((n - 1) / len(files), text=f"Reading {f.name} ({n} of {len(files)})…")
        try:
            result = assistant.upload(f.name, f.getvalue())
        except uploads.UploadRejected as e:
            st.error(str(e))
            continue
        except HmiqaError as e:
            st.error(f"{f.name}: {e}")
            continue
        if result.status == "failed":
            st.error(f"{f.name} could not be added: {result.reason}. Nothing in the index changed.")
            continue
        for w in result.report.warnings:
            st.warning(w)
        verb = {"replaced": "replaced", "added": "added"}.get(result.status, "already indexed")
        st.success(f"{f.name}: {verb} ({result.report.chunks_added} passages).")
    bar.progress(1.0, text="Done.")


def page(assistant):
    st.title("Corpus")
    st.caption("The reports hmiqa answers from, with what it worked out about each one. Correct a report's "
               "metadata with a `<file>.meta.json` sidecar (see the README).")
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(f"Add reports ({described_file_types()}; up to "
                                 f"{assistant.settings.max_upload_mb} MB each)", type=UPLOAD_TYPES,
                                 accept_multiple_files=True)
        submitted = st.form_submit_button("Add to the index")
    if submitted:
        if files:
            _add(assistant, files)
        else:
            st.warning("Choose one or more report files first.")
    docs = assistant.documents()
    if not docs:
        st.info("No reports yet. Upload some above, or run `hmiqa ingest data/reports` on the server.")
    else:
        st.dataframe([{"title": d.title, "forces": ", ".join(d.forces), "year": d.year,
                       "published": d.published, "period": d.period, "programme": d.programme, "kind": d.kind,
                       "passages": d.n_chunks, "file": Path(d.source).name,
                       "metadata": ", ".join(f"{k}: {v['confidence']}" for k, v in d.metadata_confidence.items()
                                             if v["confidence"] in ("low", "medium"))}
                      for d in docs], hide_index=True, width="stretch")
        with st.expander("Remove a report"):
            labels = {d.doc_id: f"{d.title} ({', '.join(d.forces) or 'no force'}, {d.year})" for d in docs}
            doc_id = st.selectbox("Report", list(labels), format_func=labels.get, key="remove_doc")
            sure = st.checkbox("Yes, take this report out of the index (its file is kept)", key="remove_sure")
            if st.button("Remove", disabled=not sure, type="primary"):
                removed = assistant.remove(doc_id)
                st.success(f"Removed {removed.title}.")
                st.rerun()
    store = FeedbackStore(assistant.settings.index)
    ratings = store.all()
    if ratings:
        st.subheader("Feedback")
        up = sum(f.rating for f in ratings)
        st.caption(f"{len(ratings)} answers rated: {up} up, {len(ratings) - up} down.")
        files_by_doc = {d.doc_id: Path(d.source).name for d in docs}
        st.download_button("Download thumbs-up answers as evaluation data (JSONL)",
                           store.export_jsonl(lambda d: files_by_doc.get(d, d)), file_name="feedback-eval.jsonl")
        st.download_button("Download all feedback (JSON)",
                           json.dumps([vars(f) for f in ratings], indent=2, ensure_ascii=False),
                           file_name="feedback.json")
