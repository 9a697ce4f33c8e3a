// The expo's meeting room: a WebRTC mesh of up to four browsers, signalled over the expo's
// WebSocket (/ui/meetings/<id>/signal). Whoever joins offers to everyone already there; the
// others answer. Audio and video flow peer to peer; the chat and the minutes go through the
// expo, which keeps the minutes with the meeting. `window.expoRoom` lets tests read the state.
(() => {
  "use strict";
  const root = document.getElementById("room");
  if (!root) return;
  const meeting = root.dataset.meeting;
  const statusLine = document.getElementById("status");
  const videos = document.getElementById("videos");
  const localVideo = document.getElementById("local");
  const messages = document.getElementById("messages");
  const minutes = document.getElementById("minutes-text");
  const peers = new Map(); // peer id -> {pc, name, video, pending}
  const early = new Map(); // peer id -> ICE candidates received before its connection
  const room = { peers, chat: [], me: null, minutesSaved: 0 };
  window.expoRoom = room;
  let local = new MediaStream();
  let camera = null;
  let iceServers = [];

  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(`${scheme}${location.host}/ui/meetings/${meeting}/signal`);
  const send = (message) => ws.send(JSON.stringify(message));
  const say = (text) => { statusLine.textContent = text; };

  const ready = (async () => {
    try {
      local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (error) {
      say(error.message);
    }
    camera = local.getVideoTracks()[0] || null;
    localVideo.srcObject = local;
  })();

  function videoOf(id, entry) {
    if (!entry.video) {
      const figure = document.createElement("figure");
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.dataset.peer = id;
      const caption = document.createElement("figcaption");
      caption.textContent = entry.name;
      figure.append(video, caption);
      figure.dataset.peer = id;
      videos.append(figure);
      entry.video = video;
    }
    return entry.video;
  }

  function connect(peer) {
    const pc = new RTCPeerConnection({ iceServers });
    // candidates that came before the offer that creates this connection wait with the rest
    const entry = { pc, name: peer.name, video: null, pending: early.get(peer.id) || [] };
    early.delete(peer.id);
    peers.set(peer.id, entry);
    for (const track of local.getTracks()) pc.addTrack(track, local);
    pc.onicecandidate = (event) => {
      if (event.candidate) send({ type: "signal", to: peer.id, data: { candidate: event.candidate.toJSON() } });
    };
    pc.ontrack = (event) => {
      const video = videoOf(peer.id, entry);
      if (video.srcObject !== event.streams[0]) video.srcObject = event.streams[0];
    };
    return entry;
  }

  async function offerTo(peer) {
    const entry = connect(peer);
    await entry.pc.setLocalDescription(await entry.pc.createOffer());
    send({ type: "signal", to: peer.id, data: { description: entry.pc.localDescription.toJSON() } });
  }

  async function onSignal(from, data) {
    let entry = peers.get(from);
    if (data.description) {
      if (!entry) entry = connect({ id: from, name: room.names[from] || "" });
      await entry.pc.setRemoteDescription(data.description);
      if (data.description.type === "offer") {
        await entry.pc.setLocalDescription(await entry.pc.createAnswer());
        send({ type: "signal", to: from, data: { description: entry.pc.localDescription.toJSON() } });
      }
      for (const candidate of entry.pending.splice(0)) await entry.pc.addIceCandidate(candidate);
    } else if (data.candidate && !entry) {
      early.set(from, [...(early.get(from) || []), data.candidate]);
    } else if (data.candidate) {
      if (entry.pc.remoteDescription) await entry.pc.addIceCandidate(data.candidate);
      else entry.pending.push(data.candidate);
    }
  }

  function drop(id) {
    const entry = peers.get(id);
    if (!entry) return;
    entry.pc.close();
    if (entry.video) entry.video.parentElement.remove();
    peers.delete(id);
  }

  function addChat(name, text) {
    room.chat.push({ name, text });
    const item = document.createElement("li");
    const who = document.createElement("strong");
    who.textContent = `${name}: `;
    item.append(who, document.createTextNode(text));
    messages.append(item);
  }

  room.names = {};
  async function handle(message) {
    await ready;
    switch (message.type) {
      case "welcome":
        room.me = message.you.id;
        iceServers = message.ice || [];
        for (const peer of message.peers) {
          room.names[peer.id] = peer.name;
          await offerTo(peer);
        }
        say("");
        break;
      case "joined":
        room.names[message.peer.id] = message.peer.name;
        break;
      case "signal":
        await onSignal(message.from, message.data);
        break;
      case "left":
        drop(message.id);
        break;
      case "chat":
        addChat(message.from === room.me ? root.dataset.you : message.name, message.text);
        break;
      case "minutes":
        if (document.activeElement !== minutes) minutes.value = message.text;
        break;
      case "minutes-saved":
        room.minutesSaved += 1;
        say(root.dataset.saved);
        break;
      case "full":
        say(root.dataset.full);
        break;
      case "error":
        say(message.detail);
        break;
    }
  }

  let queue = Promise.resolve();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    queue = queue.then(() => handle(message)).catch((error) => say(String(error)));
  };
  ws.onclose = () => { for (const id of [...peers.keys()]) drop(id); };

  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("chat-text");
    if (input.value.trim()) send({ type: "chat", text: input.value });
    input.value = "";
  });
  document.getElementById("minutes-save").addEventListener("click", () => {
    send({ type: "minutes", text: minutes.value });
  });
  document.getElementById("mute").addEventListener("click", () => {
    for (const track of local.getAudioTracks()) track.enabled = !track.enabled;
  });
  document.getElementById("camera").addEventListener("click", () => {
    if (camera) camera.enabled = !camera.enabled;
  });

  async function useVideo(track) {
    for (const { pc } of peers.values()) {
      const sender = pc.getSenders().find((s) => s.track && s.track.kind === "video");
      if (sender) await sender.replaceTrack(track);
    }
    localVideo.srcObject = new MediaStream([track, ...local.getAudioTracks()]);
  }
  document.getElementById("share").addEventListener("click", async () => {
    try {
      const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
      const track = screen.getVideoTracks()[0];
      track.onended = () => { if (camera) useVideo(camera); };
      await useVideo(track);
    } catch (error) {
      say(error.message);
    }
  });
})();
