"""The gateway's library, wechatpy's enterprise WeChatClient, runs unchanged against the sandbox."""
from __future__ import annotations

import pytest
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.sandbox.conftest import CORP_ID, SECRET


def _client(sandbox) -> WeChatClient:
    class SandboxClient(WeChatClient):
        API_BASE_URL = sandbox.api_base

        def fetch_access_token(self):
            return self._fetch_access_token(url=sandbox.api_base + "gettoken",
                                            params={"corpid": self.corp_id, "corpsecret": self.secret})

    return SandboxClient(CORP_ID, SECRET)


def test_wechatpy_calls_and_token_refresh(sandbox):
    client = _client(sandbox)
    ext = sandbox.state.contacts.add_prospect("zhangsan", state="webinar")["external_userid"]
    assert client.external_contact.list("zhangsan")["external_userid"] == [ext]
    group = client.external_contact.add_corp_tag(None, "客户旅程", 0, [{"name": "需求产生"}])["tag_group"]
    client.external_contact.mark_tag("zhangsan", ext, add_tag=[group["tag"][0]["id"]])
    assert sandbox.state.contacts.tags_of(ext, "zhangsan") == {group["tag"][0]["id"]}
    sandbox.state.access.expire_tokens()
    assert client.message.send_text(1000002, "lisi", "热线索")["invaliduser"] == ""
    with pytest.raises(WeChatClientException) as err:
        client.external_contact.mark_tag("lisi", ext, add_tag=[group["tag"][0]["id"]])
    assert err.value.errcode == 84061
