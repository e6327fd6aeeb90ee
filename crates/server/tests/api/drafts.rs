//! Drafts a teacher no longer wants are deleted with their files, and a withdrawn
//! declaration is copied into a new draft to edit and submit again.

use serde_json::json;
use xueshi_files::evidence_key;

use crate::declaring::{form, png, scene};

#[tokio::test]
async fn a_draft_is_deleted_with_its_evidence_and_nothing_else_can_be() {
    let s = scene("越秀").await;
    let draft = s
        .app
        .ready(&s.token, form("作废的草稿", "2030-03-01", "2030-03-01"), 1)
        .await;
    let file = s.app.declaration(&s.token, &draft).await["evidence"][0].clone();
    let key = evidence_key(file["sha256"].as_str().unwrap());
    assert!(s.app.files.exists(&key).await.unwrap());
    // Another teacher's draft is not theirs to delete, nor a reviewer's.
    s.app
        .delete(&format!("/declarations/{draft}"), &s.tree.school_token)
        .await
        .expect_error(403, "forbidden");

    s.app
        .delete(&format!("/declarations/{draft}"), &s.token)
        .await
        .expect(204);
    s.app
        .api_get(&format!("/declarations/{draft}"), &s.token)
        .await
        .expect_error(404, "not_found");
    assert!(
        !s.app.files.exists(&key).await.unwrap(),
        "the file went too"
    );
    assert!(
        s.app
            .audit_actions(&draft)
            .await
            .contains(&"declaration.delete".to_owned())
    );

    let submitted = s.app.submitted(&s.token, "已提交的申报", 2).await;
    let refused = s
        .app
        .delete(&format!("/declarations/{submitted}"), &s.token)
        .await
        .expect_error(409, "conflict");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("只能删除草稿"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_file_another_declaration_holds_stays_when_a_draft_goes() {
    let s = scene("海珠").await;
    let kept = s
        .app
        .ready(&s.token, form("保留的草稿", "2030-03-01", "2030-03-01"), 7)
        .await;
    let gone = s
        .app
        .declare(&s.token, form("删除的草稿", "2030-04-01", "2030-04-01"))
        .await;
    s.app
        .upload(&s.token, &gone, "certificate", "证书.png", png(7))
        .await
        .expect(201);
    s.app
        .delete(&format!("/declarations/{gone}"), &s.token)
        .await
        .expect(204);
    let file = s.app.declaration(&s.token, &kept).await["evidence"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = s
        .app
        .get(
            &format!("/api/v1/declarations/{kept}/evidence/{file}"),
            &s.token,
        )
        .await;
    assert_eq!(resp.status, 200, "the shared file is still there");
}

#[tokio::test]
async fn a_withdrawn_declaration_is_copied_into_a_new_draft_that_can_be_submitted() {
    let s = scene("荔湾").await;
    let id = s.app.submitted(&s.token, "撤回后重交", 3).await;
    s.app
        .post(&format!("/declarations/{id}/copy"), &s.token, json!({}))
        .await
        .expect_error(409, "conflict");
    s.app
        .post(&format!("/declarations/{id}/withdraw"), &s.token, json!({}))
        .await
        .expect(200);
    let copy = s
        .app
        .post(&format!("/declarations/{id}/copy"), &s.token, json!({}))
        .await
        .expect(201);
    assert_eq!(copy["status"], "draft");
    assert_eq!(copy["title"], "撤回后重交");
    assert_eq!(copy["evidence"].as_array().unwrap().len(), 1);
    let copy_id = copy["id"].as_str().unwrap();
    assert_ne!(copy_id, id);
    s.app
        .post(
            &format!("/declarations/{id}/copy"),
            &s.tree.school_token,
            json!({}),
        )
        .await
        .expect_error(403, "forbidden");
    let submitted = s.app.submit(&s.token, copy_id).await.expect(200);
    assert_eq!(submitted["status"], "submitted");
    let original = s.app.declaration(&s.token, &id).await;
    assert_eq!(
        original["status"], "withdrawn",
        "the original stays as it was"
    );
}
